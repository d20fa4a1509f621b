"""Browsing, searching and reading the reference; the coding assistant's API."""
import csv
import io


def test_tree_lists_the_fourteen_grand_domains(client):
    page = client.get("/occupations/").text
    for code in "ABCDEFGHIJKLMN":
        assert f"<h2 class=\"h5\">{code} · " in page
    assert "F17 · Travaux et gros oeuvre" in page


def test_domain_page_lists_its_fiches(client):
    page = client.get("/occupations/domain/F17").text
    assert "F1703 · Maçonnerie" in page


def test_fiche_shows_titles_skills_related_and_isco(client):
    page = client.get("/occupations/F1703").text
    assert "Maçon / Maçonne" in page
    assert "Construit des murs, des façades" in page and "Accès au métier" in page
    assert "Compétences de cœur de métier" in page
    assert "Métiers proches" in page and "/occupations/F1701" in page
    assert "7112 · Maçons" in page and "79\xa0% des appellations" in page


def test_unknown_fiche_is_404(client):
    assert client.get("/occupations/Z9999").status_code == 404
    assert client.get("/occupations/domain/Z99").status_code == 404


def test_search_page_works_without_javascript(client):
    page = client.get("/occupations/search?q=chauffeur+poids+lourd").text
    assert 'id="suggestions"' in page
    first = page.split('id="suggestions"')[1].split("</li>")[0]
    assert "N41" in first


def test_search_in_english(client):
    client.post("/language", data={"language": "en"})
    page = client.get("/occupations/search?q=truck+driver").text
    assert "N41" in page.split('id="suggestions"')[1].split("</ol>")[0]


def test_empty_and_junk_queries(client):
    assert client.get("/occupations/search?q=").status_code == 200
    page = client.get("/occupations/search?q=%24%25%5E%26").text
    assert 'id="suggestions"' not in page
    assert client.get("/occupations/search?q=" + "x" * 5000).status_code == 200


def test_suggest_api(client):
    response = client.get("/api/v1/occupations/suggest?q=aide-soignante&limit=3")
    assert response.status_code == 200
    results = response.json["results"]
    assert 1 <= len(results) <= 3
    assert results[0]["code"] == "J1501"
    assert set(results[0]) == {"code", "label", "matched", "score"}
    assert 0 <= results[0]["score"] <= 1
    assert client.get("/api/v1/occupations/suggest?q=macon&limit=abc").status_code == 200


def test_batch_coding_command(runner, tmp_path):
    source = tmp_path / "legacy.csv"
    source.write_text("id,title\n1,maçon\n2,mecanicien auto\n3,\n4,truck driver\n", encoding="utf-8")
    result = runner.invoke(args=["occupations", "code", str(source)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert list(rows[0]) == ["title", "code_1", "code_2", "code_3", "code_4", "code_5"]
    assert [r["title"] for r in rows] == ["maçon", "mecanicien auto", "", "truck driver"]
    assert rows[0]["code_1"] == "F1703"
    assert "I1604" in [rows[1][f"code_{i}"] for i in range(1, 6)]
    assert rows[2]["code_1"] == ""
    assert any(rows[3][f"code_{i}"].startswith("N41") for i in range(1, 4))


def test_batch_coding_needs_a_title_column(runner, tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text("name\nmaçon\n", encoding="utf-8")
    result = runner.invoke(args=["occupations", "code", str(source)])
    assert result.exit_code != 0 and "title" in result.output
