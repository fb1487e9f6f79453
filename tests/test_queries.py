"""The query catalog on the real corpus: the embedded store, a real Oxigraph
server, safe parameter binding, and every error path of `tipkg query`/`publish`.

Expected answers were read off the texts (see each query's header): counts and
named paragraphs, not merely "some rows".
"""

from __future__ import annotations

import http.server
import json
import threading
import time

import pytest
from lod_support import free_port

from tipkg.queries.catalog import bind, catalog, rdf_term
from tipkg.cli import main
from tipkg.commands.publish import DEFAULT_GRAPH
from tipkg.queries.sparql import check_syntax, run_local, run_remote

CATALOG = catalog()


@pytest.fixture(scope="session")
def built(corpus_build):
    return corpus_build.out, corpus_build.result


def ask(store, name, **params):
    """Rows of a catalog query as tuples of plain strings ('' for unbound)."""
    query = CATALOG[name]
    results = run_local(store, bind(query.text, params, path=query.path), query.path)
    return [tuple(t.value if t is not None else "" for t in row) for row in results.rows]


def column(rows, i=0):
    return [row[i] for row in rows]


# --- the catalog itself -------------------------------------------------------------------------

def test_catalog_has_at_least_fifteen_documented_queries():
    assert len(CATALOG) >= 15
    for name, query in CATALOG.items():
        header = "\n".join(query.header)
        assert query.question.endswith("?"), name
        assert "Parameters" in header and "Example answer" in header, name
        assert "EXAMPLE-" not in header, f"{name}: example answer not filled in"
        check_syntax(query.text, query.path)


def test_catalog_parameters_have_defaults():
    for name, query in CATALOG.items():
        for param, default in query.parameters.items():
            assert default.upper() != "UNDEF", (name, param)
            assert param in "\n".join(query.header), f"{name}: parameter {param} undocumented"


# --- answers on the embedded store --------------------------------------------------------------

def test_document_paragraphs_in_reading_order(store):
    rows = ask(store, "document-paragraphs")
    assert column(rows) == ([f"A/RES/61/180 pp {n}" for n in range(1, 12)]
                            + [f"A/RES/61/180 para {n}" for n in range(1, 20)])
    rows = ask(store, "document-paragraphs", document="CTOC/COP/DEC/4/4")
    ids = column(rows)
    assert len(ids) == 25 and ids[0] == "CTOC/COP/DEC/4/4 pp 1"
    o = ids.index("CTOC/COP/DEC/4/4 para o")
    assert ids[o:o + 6] == ["CTOC/COP/DEC/4/4 para o"] + [f"CTOC/COP/DEC/4/4 para o ({r})" for r in
                                                          ("i", "ii", "iii", "iv")] + ["CTOC/COP/DEC/4/4 para p"]
    assert ids[-1] == "CTOC/COP/DEC/4/4 para t"


def test_documents_overview_counts_match_the_build(store, built):
    rows = ask(store, "documents-overview")
    counts = {r[0]: int(r[3]) for r in rows}
    assert counts == built[1].documents  # the documents read, nothing else (not the index's concept scheme)
    kinds = {r[0]: (r[1], r[2]) for r in rows}
    assert kinds["A/RES/61/180"] == ("GAResolution", "2006-12-20")
    assert kinds["CTOC/COP/DEC/4/4 draft"] == ("DraftDecision", "2008")


def test_draft_against_adopted(store):
    """Issue 13: aligned by content, not position — the pairs tip:echoes also finds."""
    rows = ask(store, "draft-vs-adopted")
    pairs = {r[2].split(" draft ")[1]: r[3].split("4/4 ")[1] for r in rows if r[1] == "adopted"}
    assert pairs["pp 5"] == "para a" and pairs["para 1"] == "para e" and pairs["para 15"] == "para t"
    assert pairs["pp 1"] == "pp 1" and pairs["para 10 (b)"] == "para o (ii)"
    dropped = [r[2] for r in rows if r[1] == "dropped"]
    assert dropped == ["CTOC/COP/DEC/4/4 draft pp 2", "CTOC/COP/DEC/4/4 draft pp 3", "CTOC/COP/DEC/4/4 draft pp 4"]
    # every draft paragraph once, every adopted paragraph once
    assert len({r[2] for r in rows if r[2]}) == len([r for r in rows if r[2]]) == 27
    assert len({r[3] for r in rows if r[3]}) == len([r for r in rows if r[3]]) == 25
    assert all(float(r[4]) >= 0.3 for r in rows if r[1] == "adopted")
    echoes = {(a, b) for a, b in store.query(
        "PREFIX tip: <https://w3id.org/tipkg/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/> "
        "SELECT ?a ?d WHERE { ?x tip:echoes ?y . ?x dcterms:identifier ?a . ?y dcterms:identifier ?d "
        "FILTER(STRSTARTS(?d, 'CTOC/COP/DEC/4/4 draft') && STRSTARTS(?a, 'CTOC/COP/DEC/4/4 p')) }")}
    aligned = {(r[3], r[2]) for r in rows if r[1] == "adopted"}
    best = {}
    for a, d in echoes:
        best.setdefault(a.value, set()).add(d.value)
    assert ("CTOC/COP/DEC/4/4 para a", "CTOC/COP/DEC/4/4 draft pp 5") in aligned
    # an aligned pair is one the echoes know, but for adopted pp 1 ("إذ استذكر المهام التي أُسندت إليه في
    # المادة 32"): its echo, computed without boilerplate shingles, is draft pp 2; the alignment reads draft pp 1,
    # the same clause in visual order ("من اتفاقية … 32 دت إليه في المادة")
    assert [(a, d) for a, d in aligned if d not in best.get(a, {d})] == [
        ("CTOC/COP/DEC/4/4 pp 1", "CTOC/COP/DEC/4/4 draft pp 1")]


def test_recommendation_numbers(store):
    rows = ask(store, "recommendation-notation")
    assert column(rows) == ["TIP-WG 1 rec 5", "TIP-WG 1 rec 5 (a)", "TIP-WG 1 rec 5 (b)"]
    assert {r[2:] for r in rows} == {("CTOC/COP/WG.4/2009/2", "TIP-WG 1", "2009-04-14")}


def test_refers_to_symbol_finds_the_agenda_listing(store):
    rows = ask(store, "refers-to-symbol", symbol="CTOC/COP/WG.4/2009/2")
    assert rows == [("CTOC/COP/WG.4/2010/1 item 2", "listsDocument"), ("CTOC/COP/WG.4/2010/1 item 2", "refersTo")]


def test_operative_verbs_of_resolution_61_180(store):
    rows = [r for r in ask(store, "operative-verbs") if r[0] == "A/RES/61/180"]
    counts = {r[1]: int(r[2]) for r in rows}
    # by reading paras 1-19: تدعو 7, 8, 9, 15, 16, 18; تطلب 12, 13, 19; تحث 3, 4; تسلم/تعترف 1, 5, 6
    assert counts == {"invites": 6, "recognizes": 3, "requests": 3, "encourages": 2, "urges": 2, "welcomes": 2,
                      "emphasizes": 1}
    assert sum(counts.values()) == 19  # every operative paragraph 1-19 opens with a verb


def test_uncited_articles_of_the_protocol(store):
    rows = ask(store, "uncited-articles")
    assert column(rows) == [f"TIPP art {n}" for n in (1, 2, 4, 14, 15, 16, 17, 18, 19, 20)]
    assert dict(rows)["TIPP art 20"] == "TIPP article 20: Depositary and languages"


def test_paragraphs_citing_an_article_or_its_paragraphs(store):
    rows = ask(store, "paragraphs-citing-article")
    assert rows[0][-1].startswith("Conference of the Parties decision 1/5 (2004), item b (iv) — ")  # the gist column
    assert [r[:-1] for r in rows] == [
        ("CTOC/COP/DEC/1/5 para b (iv)", "TIPP art 9", "CTOC/COP/DEC/1/5", "2004"),
        ("CTOC/COP/DEC/1/5 para c", "TIPP art 9", "CTOC/COP/DEC/1/5", "2004"),
        ("CTOC/COP/DEC/4/4 draft para 5", "TIPP art 9(5)", "CTOC/COP/DEC/4/4 draft", "2008")]


def test_articles_ranked(store):
    ranked = {(r[0], r[1]): int(r[2]) for r in ask(store, "articles-ranked")}
    assert ranked[("UNTOC", "UNTOC art 32")] == 10 and ranked[("TIPP", "TIPP art 6")] == 8
    tipp = [r[1] for r in ask(store, "articles-ranked") if r[0] == "TIPP"]
    assert tipp[0] == "TIPP art 6"


def test_edge_source_text(store, sources):
    rows = ask(store, "edge-source-text")
    assert len(rows) == 1
    target, words, span, rule, file = rows[0]
    assert (target, file) == ("TIPP art 9(5)", "000_34c21bad16896e20.txt")
    start, end = map(int, span.split("#char=")[1].split(","))
    assert sources["CTOC/COP/DEC/4/4 draft"].text[start:end] == words and "المادة" in words


def test_refers_to_symbol(store):
    # the three preambular paragraphs that recall "قراري الجمعية العامة 61/144 و61/180"
    assert ask(store, "refers-to-symbol") == [(p, rel) for p in ("CTOC/COP/DEC/4/4 draft pp 2", "CTOC/COP/DEC/4/4 pp 1",
                                                                "CTOC/COP/RES/5/2 pp 2")
                                             for rel in ("recalls", "refersTo")]


def test_topics(store):
    rows = ask(store, "topic-paragraphs")
    assert len(rows) == 196 and len(set(column(rows))) < 196  # a paragraph under two sub-topics
    assert ("CTOC/COP/DEC/3/3 para i", "topic:victims-identification") in {r[:2] for r in rows}
    assert {r[1] for r in rows} >= {"topic:victims-protection-and-assistance", "topic:victims-compensation"}
    counts = {(r[0], r[1]): int(r[2]) for r in ask(store, "topic-year-counts")}
    assert counts[("topic:children", "2010")] == 3 and counts[("topic:children", "2011")] == 4
    together = ask(store, "topics-together")
    assert together[0] == ("topic:conference-of-the-parties-and-working-group-role-and-work",
                           "topic:victims-protection-and-assistance", "18")
    assert all(int(r[2]) >= 2 for r in together)
    assert len(ask(store, "topics-together", minimum="15")) == 5


def test_recalls(store):
    assert ("A/RES/55/25", "A/RES/61/180 pp 1") in ask(store, "document-recalls")
    assert ("A/RES/61/180 pp 1", "A/RES/61/180", "2006-12-20", "A/RES/55/25") in {r[:4] for r in ask(store, "recalled-by")}


def test_requests_to_the_secretariat(store):
    rows = ask(store, "requests-to-actor")
    assert ("2004", "CTOC/COP/DEC/1/5 para c", "CTOC/COP/DEC/1/5") in {r[:3] for r in rows}
    assert all("requests" in r[3] for r in rows), "every paragraph's gist names its request"
    # decision 3/3 asks its secretariat in paragraphs (i) to (m) ("يطلب إلى أمانته", "يطلب كذلك إلى أمانته", …)
    assert {r[1] for r in rows if r[0] == "2006"} == {f"CTOC/COP/DEC/3/3 para {x}" for x in "ijklm"}


def test_paragraph_provenance(store, sources):
    rows = ask(store, "paragraph-provenance")
    assert {r[3] for r in rows} == {"A/RES/61/180 fn 1", "A/RES/61/180 fn 2"}
    file, span = rows[0][0], rows[0][1]
    assert file == "004_e1b135029fdaca29.txt"
    start, end = map(int, span.split("#char=")[1].split(","))
    original = sources["A/RES/61/180"].text[start:end]
    assert "تحث" in original and "الدول الأعضاء" in original.replace("ـ", "")


def test_search_ignores_diacritics_tatweel_and_letter_variants(store):
    plain = ask(store, "search-arabic")
    assert "A/RES/61/180 para 12" in column(plain) and "CTOC/COP/DEC/3/3 para c" in column(plain)
    assert len(plain) == 284  # 280 before issue 13's reading order joined "الاتجـ ار" in 000/004 paragraphs
    for variant in ("الإتجار بالاشخاص", "الاتّجار بالأشخاص", "الاتجـــار  بالأشخاص", "الاتجار بالأشخاصِ"):
        assert ask(store, "search-arabic", phrase=variant) == plain, variant
    secretariat = column(ask(store, "search-arabic", phrase="أمانته"))
    assert secretariat == column(ask(store, "search-arabic", phrase="امانته"))
    assert "CTOC/COP/DEC/3/3 para i" in secretariat
    assert column(ask(store, "search-arabic", phrase="الأمانة")) == column(ask(store, "search-arabic", phrase="الامانه"))


# --- binding is never string pasting ------------------------------------------------------------

def test_injection_is_one_literal(store):
    evil = 'A/RES/61/180" } ?p ?q ?r . { VALUES ?document { "A/RES/61/180'
    assert ask(store, "document-paragraphs", document=evil) == []


@pytest.mark.parametrize("value, default, term", [
    ("TIPP art 9", '"TIPP art 9"', '"TIPP art 9"'),
    ('a"b\\c\nd', '"x"', '"a\\"b\\\\c\\nd"'),
    ("3", "2", "3"),
    ("x3", "2", '"x3"'),
    ("يطلب", '"يدعو"@ar', '"يطلب"@ar'),
    ("2008", '"2006"^^xsd:gYear', '"2008"^^xsd:gYear'),
    ("https://w3id.org/tipkg/id/TIPP", '"TIPP"', "<https://w3id.org/tipkg/id/TIPP>"),
    ("<urn:x:1>", '"TIPP"', "<urn:x:1>"),
])
def test_rdf_term(value, default, term):
    assert rdf_term(value, default) == term


def test_bad_iri_is_refused():
    with pytest.raises(ValueError):
        rdf_term("http://example.org/a>b", '"x"')


# --- the command line and its errors -------------------------------------------------------------

def run_cli(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_formats(built, capsys):
    out = str(built[0])
    code, text, _ = run_cli(capsys, "query", "recommendation-notation", "--out", out, "--format", "csv")
    assert code == 0 and text.splitlines()[1].startswith(
        "TIP-WG 1 rec 5,CTOC/COP/WG.4/2009/2 para 6,CTOC/COP/WG.4/2009/2,TIP-WG 1,2009-04-14")
    code, text, _ = run_cli(capsys, "query", "recommendation-notation", "--out", out, "--format", "tsv")
    assert text.splitlines()[0] == "paragraph\treportParagraph\treport\tmeeting\tdate"
    code, text, _ = run_cli(capsys, "query", "recommendation-notation", "--out", out, "--format", "json")
    bindings = json.loads(text)["results"]["bindings"]
    assert bindings[0]["date"] == {"type": "literal", "value": "2009-04-14",
                                   "datatype": "http://www.w3.org/2001/XMLSchema#date"}
    code, text, _ = run_cli(capsys, "query", "recommendation-notation", "--out", out,
                            "--param", "recommendation=TIP-WG 9 rec 17")
    assert code == 0 and "TIP-WG 9 rec 17 (h)" in text and "(9 rows)" in text  # rec 17 and its (a)-(h)


def test_syntax_error_shows_line_and_message(built, capsys, tmp_path):
    bad = tmp_path / "bad.rq"
    bad.write_text("PREFIX tip: <https://w3id.org/tipkg/ontology#>\nSELECT ?p WHERE {\n  ?p tip:verb ?v .\n"
                   "  FILTER(?v = ) }\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "query", str(bad), "--out", str(built[0]))
    line = one_error_line(err)
    assert code != 0 and f"{bad}:4:" in line and "syntax error" in line and "FILTER(?v = )" in line


def test_unknown_query_name(built, capsys):
    code, _, err = run_cli(capsys, "query", "document", "--out", str(built[0]))
    assert code != 0 and "unknown query name" in one_error_line(err) and "document-paragraphs" in err


def test_missing_and_unknown_parameters(built, capsys, tmp_path):
    needs = tmp_path / "needs.rq"
    needs.write_text("SELECT ?p WHERE {\n  VALUES ?doc { UNDEF }\n  ?p ?x ?doc }\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "query", str(needs), "--out", str(built[0]))
    assert code != 0 and "missing parameter 'doc'" in one_error_line(err)
    code, _, err = run_cli(capsys, "query", "document-paragraphs", "--param", "doc=x", "--out", str(built[0]))
    assert code != 0 and "unknown parameter 'doc'" in one_error_line(err)
    code, _, err = run_cli(capsys, "query", "document-paragraphs", "--param", "document", "--out", str(built[0]))
    assert code != 0 and "NAME=VALUE" in one_error_line(err)


def test_no_store(capsys, tmp_path):
    code, _, err = run_cli(capsys, "query", "document-paragraphs", "--out", str(tmp_path / "none"))
    assert code != 0 and "tipkg build" in one_error_line(err)


@pytest.fixture
def misbehaving_server():
    """A local HTTP server answering 500, or sleeping past the client's timeout."""
    servers = []

    def start(mode: str) -> str:
        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self):
                try:
                    self.rfile.read(int(self.headers.get("Content-Length") or 0))
                    if mode == "sleep":
                        time.sleep(3)
                    self.send_response(500)
                    self.end_headers()
                    self.wfile.write(b"server exploded")
                except OSError:  # the client gave up (timeout): nothing to answer
                    pass
            do_GET = do_POST = do_PUT = answer

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()


def test_endpoint_refused_500_and_timeout(built, capsys, misbehaving_server):
    out = str(built[0])
    closed = f"http://127.0.0.1:{free_port()}"
    code, _, err = run_cli(capsys, "query", "documents-overview", "--endpoint", closed + "/query")
    assert code != 0 and "connection refused" in one_error_line(err)
    code, _, err = run_cli(capsys, "publish", "--out", out, "--store", closed + "/store")
    assert code != 0 and "connection refused" in one_error_line(err)
    failing = misbehaving_server("500")
    code, _, err = run_cli(capsys, "query", "documents-overview", "--endpoint", failing + "/query")
    assert code != 0 and "HTTP 500" in one_error_line(err)
    code, _, err = run_cli(capsys, "publish", "--out", out, "--store", failing + "/store")
    assert code != 0 and "HTTP 500" in one_error_line(err)
    slow = misbehaving_server("sleep")
    code, _, err = run_cli(capsys, "query", "documents-overview", "--endpoint", slow + "/query", "--timeout", "1")
    assert code != 0 and "timeout" in one_error_line(err)
    code, _, err = run_cli(capsys, "publish", "--out", out, "--store", slow + "/store", "--timeout", "1")
    assert code != 0 and "timeout" in one_error_line(err)


# --- a real Oxigraph server ---------------------------------------------------------------------

def test_publish_and_every_query_answers_the_same_remotely(built, store, oxigraph_server, capsys):
    out, result = built
    code, text, err = run_cli(capsys, "publish", "--out", str(out), "--store", oxigraph_server + "/store",
                              "--endpoint", oxigraph_server + "/query")
    assert code == 0, err
    assert f"checked: {len(result.triples)} triples" in text
    # publishing again replaces the graph, it does not add to it
    code, text, err = run_cli(capsys, "publish", "--out", str(out), "--store", oxigraph_server + "/store",
                              "--endpoint", oxigraph_server + "/query")
    assert code == 0 and f"checked: {len(result.triples)} triples" in text
    for name, query in CATALOG.items():
        local = run_local(store, query.text, query.path)
        remote = run_remote(oxigraph_server + "/query", query.text, path=query.path, graph=DEFAULT_GRAPH)
        assert remote.variables == local.variables, name
        assert remote.comparable() == local.comparable(), name
        assert remote.rows == local.rows or "ORDER BY" not in query.text, f"{name}: order differs"
