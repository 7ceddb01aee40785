"""A report written to a device or a named pipe (``--json /dev/null``, a FIFO a script
reads) is written to it, never replaced by a regular file: as root, that replaced
/dev/null for every later program on the machine."""

from __future__ import annotations

import os
import stat
import threading

import pytest

from pipeline.files import write_atomic


def read_fifo(path, got):
    with open(path, encoding="utf-8") as f:
        got.append(f.read())


def test_a_named_pipe_is_written_to_not_replaced(tmp_path):
    fifo = tmp_path / "out.json"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=read_fifo, args=(fifo, got), daemon=True)
    reader.start()
    write_atomic(fifo, iter(["{", '"a": 1', "}"]), durable=True)
    reader.join(5)
    assert got == ['{"a": 1}']
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_device_is_written_to_not_replaced(tmp_path):
    node = tmp_path / "null"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null's numbers, in tmp
    except (PermissionError, OSError):
        pytest.skip("cannot make a device node here")
    write_atomic(node, "report", durable=True)
    assert stat.S_ISCHR(os.stat(node).st_mode)


def test_a_full_device_is_an_error_naming_it(tmp_path):
    node = tmp_path / "full"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 7))  # /dev/full's numbers
    except (PermissionError, OSError):
        pytest.skip("cannot make a device node here")
    with pytest.raises(OSError) as e:
        write_atomic(node, "report")
    assert e.value.filename == str(node) and stat.S_ISCHR(os.stat(node).st_mode)


def zero_device(tmp_path):
    node = tmp_path / "zero"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero's numbers: reads without end
    except (PermissionError, OSError):
        pytest.skip("cannot make a device node here")
    return node


def test_a_device_given_as_the_article_or_the_citations_file_is_refused_not_read(tmp_path):
    from pipeline import citations as cit
    from pipeline.extract import owner
    from pipeline.footnotes import ArticleError, parse_article

    node = zero_device(tmp_path)
    with pytest.raises(ArticleError, match="a device, not an article"):
        parse_article(node)
    for load in (cit.load, cit.load_for_run, lambda p: cit.load(p, for_update=False)):
        with pytest.raises(cit.CitationsError, match="a device, not a citations file"):
            load(node)
    assert owner(node) is None


def test_a_citations_file_from_a_named_pipe_is_read(tmp_path):
    from pipeline import citations as cit

    fifo = tmp_path / "citations.yaml"
    os.mkfifo(fifo)

    def feed():
        with open(fifo, "w", encoding="utf-8") as f:
            f.write("citations:\n  - id: '1'\n    url: https://example.org/a\n")

    threading.Thread(target=feed, daemon=True).start()
    assert [c.id for c in cit.load(fifo, for_update=False).citations] == ["1"]
