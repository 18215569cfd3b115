"""The side-by-side diff a non-technical reader follows: paragraphs paired, words marked, markup inert."""

from cabinet.policies.diff import compare

OLD = "**1.1.** Оператор деректерді сақтайды.\n\n**1.2.** Пайдаланушы келіседі.\n\n**1.3.** Ескі тармақ."
NEW = "**1.1.** Оператор деректерді қорғайды.\n\n**1.2.** Пайдаланушы келіседі.\n\n**1.4.** Жаңа тармақ."


def test_unchanged_paragraphs_stay_side_by_side():
    rows = compare(OLD, NEW)
    same = [r for r in rows if r.kind == "same"]
    assert [str(r.old) for r in same] == ["1.2. Пайдаланушы келіседі."]  # Markdown marks are not words


def test_a_changed_word_is_deleted_on_the_left_and_inserted_on_the_right():
    changed = [r for r in compare(OLD, NEW) if r.kind == "changed"]
    assert "<del>сақтайды.</del>" in str(changed[0].old)
    assert "<ins>қорғайды.</ins>" in str(changed[0].new)
    assert "Оператор деректерді" in str(changed[0].new)  # unchanged words are not marked


def test_added_and_removed_paragraphs_are_marked_whole():
    rows = compare("A.\n\nB.", "A.")
    assert [(r.kind, str(r.old), str(r.new)) for r in rows] == [("same", "A.", "A."), ("removed", "<del>B.</del>", "")]
    rows = compare("A.", "A.\n\nC.")
    assert rows[-1].kind == "added" and str(rows[-1].new) == "<ins>C.</ins>"


def test_markup_in_a_policy_text_is_shown_not_run():
    rows = compare("Old <b>text</b>.", "New <script>alert(1)</script>.")
    html = "".join(str(r.old) + str(r.new) for r in rows)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_identical_texts_have_no_changes():
    assert all(r.kind == "same" for r in compare(OLD, OLD))
