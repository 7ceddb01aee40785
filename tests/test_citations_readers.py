"""The two readers of citations.yaml — libyaml's fast one (``check``, a run's small
load, the text write-backs) and ruamel's round-trip one — read every file alike: the same
values, the same ids, problems at the lines an editor shows."""

from __future__ import annotations

import pytest
import yaml

from pipeline import citations as cit
from pipeline.nesting import too_deep_line

# plain scalars whose reading differs between YAML 1.1 (PyYAML's defaults) and 1.2
SCALARS = [
    "0x1F", "0X1F", "-0x1f", "+0x1F", "0x_1F", "0o17", "0O17", "017", "08", "0b101", "0b_1",
    "1_000", "1__0", "+12", "-0", "00", ".inf", "-.inf", "+.INF", ".NaN", ".nan", "1e3", "1E3",
    "1.5e+3", "1.", "+.5", "._5", "1_0.5", "0e0", "12:30", "1:2:3", "0x", "0xg", "0o8", "true",
    "yes", "on", "off", "y", "n", "null", "~", "2023-02-01", "2023-2-1", "_", "_1", "1,000",
]  # fmt: skip


def _kind(value):
    return "text" if isinstance(value, str) else type(value).__mro__[-2].__name__


@pytest.mark.parametrize("scalar", SCALARS)
def test_both_readers_read_a_scalar_alike(scalar):
    text = f"a: {scalar}\n"
    fast = yaml.load(text, Loader=cit.fast_yaml_loader())["a"]
    round_trip = cit._yaml().load(text)["a"]
    assert (str(fast), isinstance(fast, str)) == (str(round_trip), isinstance(round_trip, str))
    if isinstance(fast, bool | int | float):
        assert isinstance(round_trip, type(fast)) or float(fast) == float(round_trip) or fast != fast


@pytest.mark.parametrize(("written", "read"), [("0x1F", "31"), ("0o17", "15"), ("017", "17"), ("1_000", "1000")])
def test_an_id_written_as_a_number_is_the_same_id_to_every_reader(tmp_path, written, read):
    path = tmp_path / "citations.yaml"
    path.write_text(f"citations:\n  - id: {written}\n    url: https://example.org/a\n", encoding="utf-8")
    fast = cit.load(path, for_update=False)
    assert fast.read_only  # the fast reader did read it
    for cf in (fast, cit.load(path), cit.load_for_run(path)):
        assert [c.id for c in cf.citations] == [read]
    small = cit.load_for_run(path)
    assert small.text_edits is not None  # and the text write-backs find the entry under that id
    cit.set_fields(small, read, url_status="live")
    cit.save(small)
    assert "url_status: live" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("bad", ["-_", "0x_", "+_", "0b_", "._"])
def test_a_number_ruamel_cannot_build_is_a_problem_at_its_line(tmp_path, bad):
    path = tmp_path / "citations.yaml"
    path.write_text(f"citations:\n  - id: '1'\n    url: https://example.org/a\n    title: {bad}\n", encoding="utf-8")
    for load in (cit.load, cit.load_for_run, lambda p: cit.load(p, for_update=False)):
        with pytest.raises(cit.CitationsError) as e:
            load(path)
        assert e.value.problems == [f"{path}:4: not a number: {bad!r} (quote it to keep it as text)"]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
@pytest.mark.parametrize("form", ["'a{}b'", '"a{}b"', "a{}b"])
def test_a_raw_line_separator_in_a_value_moves_no_line_number(tmp_path, separator, form):
    value = form.format(separator)
    path = tmp_path / "citations.yaml"
    head = f"citations:\n  - id: '1'\n    title: {value}\n    url: https://example.org/a\n  - id: '2'\n"
    path.write_text(head + "    url: https://example.org/b\n", encoding="utf-8")
    title = cit.load(path).citations[0].title
    assert title == (f"a{separator}b" if separator != "\x85" else "a b")  # ruamel folds a NEL alone
    for cf in (cit.load(path), cit.load_for_run(path), cit.load(path, for_update=False)):
        assert cf.citations[0].title == title
        if not cf.read_only:
            assert [c.line for c in cf.citations] == [2, 5]
    path.write_text(head + "    url: ftp://example.org/b\n    date: 2023-02-31\n", encoding="utf-8")
    for load in (cit.load, cit.load_for_run, lambda p: cit.load(p, for_update=False)):
        with pytest.raises(cit.CitationsError) as e:
            load(path)
        assert [p.split(":")[1] for p in e.value.problems] == ["7"]
    path.write_text(head + "    url: ftp://example.org/b\n", encoding="utf-8")
    lenient = cit.load_for_run(path, lenient=True)
    assert [str(p).split(":")[1] for p in lenient.citations[1].problems] == ["6"]
    path.write_text(head + "    url: [unclosed\n", encoding="utf-8")
    with pytest.raises(cit.CitationsError) as e:
        cit.load_for_run(path)
    assert e.value.problems[0].split(":")[1] == "7"  # the syntax error's line too


def test_a_write_back_keeps_a_raw_line_separator_and_the_entry_lines(tmp_path):
    path = tmp_path / "citations.yaml"
    text = "citations:\n  - id: '1'\n    title: 'a\u2028b'\n    url: https://example.org/a\n"
    path.write_text(text, encoding="utf-8")
    cf = cit.load_for_run(path)
    cit.set_fields(cf, "1", url_status="live")
    cit.save(cf)
    again = cit.load(path)
    assert (again.citations[0].title, again.citations[0].url_status) == ("a\u2028b", "live")


def test_a_yaml_1_1_directive_is_read_by_its_own_rules_by_both(tmp_path):
    path = tmp_path / "citations.yaml"
    path.write_text("%YAML 1.1\n---\ncitations:\n  - id: 017\n    title: yes\n", encoding="utf-8")
    ids = {tuple(c.id for c in load(path).citations) for load in (cit.load, cit.load_for_run)}
    ids.add(tuple(c.id for c in cit.load(path, for_update=False).citations))
    assert len(ids) == 1


def test_nesting_counts_lines_as_an_editor_does(tmp_path):
    deep = "".join("  " * i + "- x\n" for i in range(cit.MAX_NESTING + 2))
    plain = f"citations:\n  - id: '1'\n    title: 'a b c'\n    x:\n{deep}"
    path = tmp_path / "citations.yaml"
    path.write_text(plain.replace("a b c", "a\u2028b\u2029c"), encoding="utf-8")
    with pytest.raises(cit.CitationsError) as e:
        cit.load(path)
    assert e.value.problems[0].startswith(f"{path}:{too_deep_line(plain)}: nested more than")


@pytest.mark.parametrize("control", ["\x0c", "\x01", "\x7f", "\ufffe"])
def test_a_control_character_is_one_line_naming_its_line(tmp_path, control):
    path = tmp_path / "citations.yaml"
    path.write_text(f"citations:\n  - id: '1'\n    title: 'a\u2028b'\n    note: x{control}y\n", encoding="utf-8")
    for load in (cit.load, cit.load_for_run, lambda p: cit.load(p, for_update=False)):
        with pytest.raises(cit.CitationsError) as e:
            load(path)
        assert e.value.problems == [
            f"{path}:4: a character YAML does not allow (U+{ord(control):04X}, a control character): delete it"
        ]


LOADERS = {
    "round-trip": cit.load,
    "run": cit.load_for_run,
    "check": lambda p: cit.load(p, for_update=False),
}


def problems_of(path):
    """Each reader's problems with the file (None: it loaded)."""
    seen = {}
    for name, load in LOADERS.items():
        try:
            load(path)
            seen[name] = None
        except cit.CitationsError as e:
            seen[name] = e.problems
    return seen


@pytest.mark.parametrize(
    ("value", "loads"),
    [("Alpha\tstory", False), ("x\t# a comment", False), ('"Alpha\tstory"', True), ("'Alpha\tstory'", True)],
)
def test_a_tab_is_read_alike_by_every_reader(tmp_path, value, loads):
    """ruamel refuses a tab libyaml reads: the run would read the file and fail to write it."""
    path = tmp_path / "citations.yaml"
    path.write_text(f"citations:\n  - id: '1'\n    url: https://example.org/a\n    title: {value}\n", encoding="utf-8")
    seen = problems_of(path)
    assert len({repr(v) for v in seen.values()}) == 1, seen
    if loads:
        assert seen["check"] is None and cit.load_for_run(path).citations[0].title == "Alpha\tstory"
    else:
        assert seen["check"][0].startswith(f"{path}:4: YAML syntax error")


def test_a_key_twice_is_refused_by_every_reader_at_its_line(tmp_path):
    path = tmp_path / "citations.yaml"
    path.write_text(
        "citations:\n  - id: '1'\n    title: Beta\n    url: https://example.org/a\n    title: Other\n", encoding="utf-8"
    )
    seen = problems_of(path)
    assert len({repr(v) for v in seen.values()}) == 1, seen
    assert seen["check"][0].startswith(f"{path}:5: YAML syntax error: found duplicate key")
    from pipeline.yamlstream import _Unusual, streamed_load

    with pytest.raises(_Unusual):
        streamed_load(path.read_text(encoding="utf-8"), cit.fast_yaml_loader())
    merged = "citations:\n  - &a {id: '1', url: 'https://example.org/a'}\n  - <<: *a\n    id: '2'\n"
    path.write_text(merged, encoding="utf-8")
    assert [c.id for c in cit.load(path, for_update=False).citations] == ["1", "2"]  # a merge key's override


@pytest.mark.parametrize("article", ["just a headline", "[a, b]", "7"])
def test_an_article_that_is_not_a_mapping_is_a_problem_at_its_line(tmp_path, article):
    from pipeline.extract import owner

    path = tmp_path / "citations.yaml"
    path.write_text(f"# notes\narticle: {article}\ncitations:\n  - id: '1'\n", encoding="utf-8")
    message = f"{path}:2: 'article' must be a mapping (title:, source:, date: on lines of their own)"
    assert problems_of(path) == {name: [message] for name in LOADERS}
    assert owner(path) is None  # whose file it is: nobody's, and loading it says why


def test_a_long_number_is_shown_short(tmp_path):
    path = tmp_path / "citations.yaml"
    path.write_text(f"citations:\n  - id: {'9' * 5000}\n", encoding="utf-8")
    (problem,) = problems_of(path)["run"]
    assert problem == f"{path}:2: not a number: '{'9' * 20}…{'9' * 10}' (quote it to keep it as text)"


def test_a_file_not_in_utf8_names_the_line(tmp_path):
    path = tmp_path / "citations.yaml"
    path.write_bytes(b"citations:\n  - id: '1'\n    title: Caf\xe9\n")
    assert {tuple(v) for v in problems_of(path).values()} == {
        (f"{path}:3: not UTF-8 text (byte 0xe9); save the file as UTF-8",)
    }
