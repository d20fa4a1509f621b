"""Derive the extra fiche texts used by the occupation coder (``app/reference/coding.py``).

Maintainer tool, run once per upstream release. Usage::

    python scripts/derive_coder_texts.py SHARED_DATA_DIR [OUT_DIR]

SHARED_DATA_DIR holds ``rome/v4_60`` as published by France Travail (ROME 4.0 v460, Licence
Ouverte 2.0). OUT_DIR defaults to ``app/reference/data/rome3_2021_v460``.

The coder already reads each v3 fiche's own definition and access text from ``occupations.csv``
(``definition_fr``, ``access_fr``, written by ``derive_reference.py``). ROME 4.0 split 1,052
sub-fiches off the 532 historical fiches; their definitions and access texts describe
specialities of the parent fiche in words its own text often lacks ("paludier", "cidre",
"tonte"). This script writes them, attached to their v3 parent, to ``specialisation_texts.csv``:

    code,occupation,kind,text
    A1102,A1101,definition,"Réalise des travaux ... (one sentence per line)"

Only fiche-level texts are used: no job title (appellation) list is read, so the held-out
evaluation titles cannot leak through this file.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import pandas as pd

VERSION_DIR = "rome3_2021_v460"
KINDS = {"definition": "definition", "acces_metier": "access"}


def read(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    # Same clean-up as derive_reference.py: plain apostrophes, stray cp1252 "œ".
    return frame.apply(lambda col: col.str.replace("\u2019", "'", regex=False)
                       .str.replace("\x9c", "œ", regex=False).str.strip())


def derive(shared: Path, out: Path) -> pd.DataFrame:
    v4 = shared / "rome" / "v4_60"
    ref4 = read(v4 / "unix_referentiel_code_rome_v460_utf8.csv")
    parent = dict(zip(ref4.code_rome, ref4.code_rome_parent))
    texts = read(v4 / "unix_texte_v460_utf8.csv")
    # The export doubles apostrophes inside its texts (SQL escaping).
    texts["libelle_texte"] = texts.libelle_texte.str.replace("''", "'", regex=False)
    texts = texts[texts.libelle_texte.ne("") & texts.libelle_type_texte.isin(list(KINDS))]
    texts = texts[[parent.get(c, c) != c for c in texts.code_rome]]  # sub-fiches only
    texts = texts.assign(position=texts.position_phrase.astype(int))
    texts = texts.sort_values(["code_rome", "libelle_type_texte", "position"])
    rows = []
    for (code, kind), group in texts.groupby(["code_rome", "libelle_type_texte"], sort=True):
        rows.append((code, parent[code], KINDS[kind], "\n".join(group.libelle_texte)))
    frame = pd.DataFrame(rows, columns=["code", "occupation", "kind", "text"])
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "specialisation_texts.csv", index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    print(f"specialisation_texts.csv: {len(frame)} rows")
    return frame


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2:
        print(__doc__)
        return 2
    shared = Path(argv[0])
    default = Path(__file__).resolve().parents[1] / "app" / "reference" / "data" / VERSION_DIR
    out = Path(argv[1]) if len(argv) > 1 else default
    derive(shared, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
