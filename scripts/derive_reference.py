"""Derive the compact ROAME-compatible reference shipped under app/reference/data/.

Maintainer tool, run once per upstream release; the application never reads the raw
open data. Usage::

    python scripts/derive_reference.py SHARED_DATA_DIR [OUT_DIR]

SHARED_DATA_DIR holds rome/v3_2021, rome/v4_60, isco and crosswalks as published by
France Travail (Licence Ouverte 2.0) and the ILO/ESCO. English labels come from the
project's own translation files, ``labels_en.csv`` and ``titles_en.csv``, which live in
OUT_DIR and are kept as they are.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import pandas as pd

VERSION_DIR = "rome3_2021_v460"


def read(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    # Upstream mixes typographic and plain apostrophes; the coder normalises anyway,
    # but shipping one form keeps display and de-duplication simple.
    # One export row also carries a stray cp1252 "œ" byte (0x9c) decoded as a control character.
    return frame.apply(lambda col: col.str.replace("\u2019", "'", regex=False)
                       .str.replace("\x9c", "œ", regex=False).str.strip())


def write(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    print(f"{path.name}: {len(frame)} rows")


def english_labels(out: Path) -> dict[tuple[str, str], str]:
    path = out / "labels_en.csv"
    if not path.exists():
        return {}
    labels = read(path)
    return {(k, c): e for k, c, e in zip(labels.kind, labels.code, labels.label_en)}


def english_titles(out: Path) -> dict[str, str]:
    path = out / "titles_en.csv"
    if not path.exists():
        return {}
    titles = read(path)
    return dict(zip(titles.code_ogr, titles.label_en))


def derive(shared: Path, out: Path) -> None:
    v3, v4 = shared / "rome" / "v3_2021", shared / "rome" / "v4_60"
    out.mkdir(parents=True, exist_ok=True)
    en = english_labels(out.parent)
    en_titles = english_titles(out.parent)

    gd = read(v3 / "rome_v3_grands_domaines.csv")
    write(pd.DataFrame({
        "code": gd.code_grand_domaine,
        "label_fr": gd.libelle_grand_domaine,
        "label_en": [en.get(("grand_domain", c), "") for c in gd.code_grand_domaine],
    }), out / "grand_domains.csv")

    dp = read(v3 / "rome_v3_domaines_professionnels.csv")
    write(pd.DataFrame({
        "code": dp.code_domaine_professionnel,
        "grand_domain": dp.code_grand_domaine,
        "label_fr": dp.libelle_domaine_professionnel,
        "label_en": [en.get(("domain", c), "") for c in dp.code_domaine_professionnel],
    }), out / "domains.csv")

    fiches = read(v3 / "rome_v3_fiches.csv")
    texts = read(v4 / "unix_texte_v460_utf8.csv")
    # The export doubles apostrophes inside its texts (SQL escaping).
    texts["libelle_texte"] = texts.libelle_texte.str.replace("''", "'", regex=False)
    texts = texts.sort_values(["code_rome", "libelle_type_texte", "position_phrase"],
                              key=lambda s: s.astype(int) if s.name == "position_phrase" else s)

    def text_of(code: str, kind: str) -> str:
        rows = texts[(texts.code_rome == code) & (texts.libelle_type_texte == kind)]
        return "\n".join(rows.libelle_texte)

    write(pd.DataFrame({
        "code": fiches.code_rome,
        "domain": fiches.code_domaine_professionnel,
        "label_fr": fiches.libelle_rome,
        "label_en": [en.get(("occupation", c), "") for c in fiches.code_rome],
        "definition_fr": [text_of(c, "definition") for c in fiches.code_rome],
        "access_fr": [text_of(c, "acces_metier") for c in fiches.code_rome],
    }), out / "occupations.csv")
    known = set(fiches.code_rome)

    # Job titles: every v3 appellation, plus the ROME 4.0 ones created since 2021,
    # attached to their v3 parent fiche. Where 4.0 rewords a v3 title (gender forms,
    # accents), the new wording is kept as an alternative label.
    app3 = read(v3 / "rome_v3_appellations.csv")
    app4 = read(v4 / "unix_referentiel_appellation_v460_utf8.csv")
    v4_by_code = app4.set_index("code_ogr")
    rows = []
    for code, label, fiche in zip(app3.code_ogr, app3.libelle_appellation, app3.code_rome):
        alts = []
        if code in v4_by_code.index:
            for alt in (v4_by_code.at[code, "libelle_appellation_long"],
                        v4_by_code.at[code, "libelle_appellation_court"]):
                if alt and alt != label and alt not in alts:
                    alts.append(alt)
        rows.append((code, fiche, label, " | ".join(alts), "rome3"))
    seen = set(app3.code_ogr)
    for rec in app4.itertuples():
        if rec.code_ogr in seen or rec.code_rome_parent not in known:
            continue
        alt = rec.libelle_appellation_court
        alt = "" if alt == rec.libelle_appellation_long else alt
        rows.append((rec.code_ogr, rec.code_rome_parent, rec.libelle_appellation_long, alt, "rome4"))
    titles = pd.DataFrame(rows, columns=["code", "occupation", "label_fr", "alt_labels_fr", "source"])
    titles["label_en"] = [en_titles.get(c, "") for c in titles.code]
    write(titles.sort_values(["occupation", "code"], key=lambda s: s if s.name == "occupation" else s.astype(int)),
          out / "titles.csv")

    # ROME 4.0 fiches, including the sub-fiches split off since 2021: shown as
    # specialisations of their v3 parent and used as extra text by the coder.
    ref4 = read(v4 / "unix_referentiel_code_rome_v460_utf8.csv")
    parent = dict(zip(ref4.code_rome, ref4.code_rome_parent))
    write(pd.DataFrame({
        "code": ref4.code_rome,
        "occupation": ref4.code_rome_parent,
        "label_fr": ref4.libelle_rome,
    }), out / "specialisations.csv")

    # Skills of each v3 fiche: the items of its own 4.0 record (the parent code), which
    # is the 2021 fiche brought up to date. Sub-fiches' items stay with the sub-fiches.
    comp = read(v4 / "unix_referentiel_competence_v460_utf8.csv")
    sav = read(v4 / "unix_referentiel_savoir_v460_utf8.csv")
    skills = pd.concat([
        pd.DataFrame({
            "code": comp.code_ogr,
            "kind": ["soft" if c.startswith("Savoir-être") else "know_how" for c in comp.cat_comp],
            "label_fr": comp.libelle_competence,
        }),
        pd.DataFrame({"code": sav.code_ogr_savoir, "kind": "knowledge", "label_fr": sav.libelle_savoir}),
    ]).drop_duplicates("code")
    coh = read(v4 / "unix_coherence_item_v460_utf8.csv")
    coh = coh[coh.code_rome.isin(known) & coh.code_ogr.isin(set(skills.code))]
    links = pd.DataFrame({
        "occupation": coh.code_rome,
        "skill": coh.code_ogr,
        "core": (coh.coeur_metier == "Principale").astype(int),
    }).drop_duplicates(["occupation", "skill"])
    skills = skills[skills.code.isin(set(links.skill))]
    write(skills.sort_values("code", key=lambda s: s.astype(int)), out / "skills.csv")
    write(links.sort_values(["occupation", "skill"]), out / "occupation_skills.csv")

    # Mobility links between fiches, brought back to parent codes; the best rank wins.
    mob = read(v4 / "unix_rubrique_mobilite_v460_utf8.csv")
    mob = pd.DataFrame({
        "occupation": mob.code_rome.map(parent),
        "target": mob.code_rome_cible.map(parent),
        "rank": mob.numero_ordre.astype(int),
    })
    mob = mob[(mob.occupation != mob.target) & mob.occupation.isin(known) & mob.target.isin(known)]
    mob = mob.sort_values(["occupation", "rank", "target"]).drop_duplicates(["occupation", "target"])
    mob["rank"] = mob.groupby("occupation").cumcount() + 1
    write(mob, out / "mobility.csv")

    isco = read(shared / "isco" / "isco08_groups_all_levels.csv")
    write(pd.DataFrame({
        "code": isco.isco08_code, "level": isco.level, "parent": isco.parent_code,
        "label_fr": isco.label_fr, "label_en": isco.label_en,
    }), out / "isco_groups.csv")

    cross = read(shared / "crosswalks" / "rome_v3_to_isco08.csv")
    write(pd.DataFrame({
        "occupation": cross.code_rome, "isco": cross.isco08_code,
        "share": cross.share, "rank": cross["rank"],
    }), out / "occupation_isco.csv")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parents[1] / "app" / "reference" / "data" / VERSION_DIR
    derive(Path(sys.argv[1]), target)
