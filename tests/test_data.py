"""coursekit.data: every resource loads typed and valid; bad data yields a message that names
the file, row, column and fix; source ids resolve both ways."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from coursekit import data
from coursekit.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
NAMES = [res["name"] for res in PACKAGE["resources"]]
REQUIRED = {"sources", "timeline", "agreements", "pipeline", "series", "claims"}


def edit_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set data row ``row`` (1-based) of ``column`` in the CSV at ``path``."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
        fieldnames = list(rows[0].keys())
    rows[row - 1][column] = value
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fieldnames, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def test_package_has_the_required_resources():
    assert REQUIRED <= set(NAMES)
    assert data.names(ROOT) == NAMES


def test_datapackage_is_valid_by_the_frictionless_validator():
    """A real validator checks types, constraints, primary and foreign keys of every file."""
    from frictionless import validate

    report = validate(str(ROOT / "data" / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:20]


@pytest.mark.parametrize("name", NAMES)
def test_every_resource_loads_typed(name):
    frame = data.load(name, root=ROOT)
    assert len(frame) > 0
    schema = next(r for r in PACKAGE["resources"] if r["name"] == name)["schema"]
    for field in schema["fields"]:
        column = frame[field["name"]]
        if field.get("partialDate") or field.get("type") == "date":
            assert pd.api.types.is_datetime64_any_dtype(column), field["name"]
        elif field.get("type") in ("number", "integer"):
            assert pd.api.types.is_numeric_dtype(column), field["name"]
        elif field.get("categorical"):
            assert isinstance(column.dtype, pd.CategoricalDtype), field["name"]


def test_every_resource_is_described_for_people():
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    for res in PACKAGE["resources"]:
        assert res["path"] in readme, f"data/README.md does not describe {res['path']}"
        for field in res["schema"]["fields"]:
            assert field.get("description"), f"{res['name']}.{field['name']} has no description"


def test_source_ids_resolve_both_ways():
    """Every source_id used exists in sources.csv, and every source is used somewhere."""
    sources = set(data.load("sources", root=ROOT)["source_id"])
    used = set()
    for name in NAMES:
        if name == "sources":
            continue
        frame = data.load(name, root=ROOT)
        if "source_id" in frame:
            used |= set(frame["source_id"].dropna())
    assert used <= sources, sorted(used - sources)
    assert sources <= used, f"sources never used: {sorted(sources - used)}"


def test_the_seed_article_is_a_source():
    citation = data.cite("nias-pr-302", root=ROOT)
    assert "Fernandez" in citation and "2022-03-03" in citation


def test_series_keep_promises_apart_from_outcomes():
    series = data.load("series", root=ROOT)
    assert set(series["role"].dropna()) == {"outcome", "promise"}
    assert series["value"].notna().all()


def test_claims_with_a_verdict_have_evidence():
    claims = data.load("claims", root=ROOT)
    evidence = data.load("claim_evidence", root=ROOT)
    needs = claims.loc[claims["verdict"] != "only_this_source", "claim_id"]
    missing = set(needs) - set(evidence["claim_id"])
    assert not missing, f"claims without evidence rows: {sorted(missing)}"


def test_disagreeing_sources_stay_separate_rows():
    """The article's 3.5-hour meeting and other reports' shorter meeting are not merged."""
    timeline = data.load("timeline", root=ROOT)
    visit = timeline[timeline["date"].between("2022-02-23", "2022-02-24")]
    assert "nias-pr-302" in set(visit["source_id"])
    assert visit["disputed"].any()
    assert visit["source_id"].nunique() >= 3


# --- Bad data: each case names the file, the row and the column, and says what to do. ---

def test_malformed_date_names_file_row_column_and_fix(course_copy):
    edit_cell(course_copy / "data" / "timeline.csv", 3, "date", "1999-13-45")
    with pytest.raises(DataError) as err:
        data.load("timeline", root=course_copy)
    message = str(err.value)
    assert "timeline.csv" in message and "row 3" in message and "'date'" in message
    assert "1999-13-45" in message and "YYYY-MM-DD" in message


def test_impossible_calendar_date_is_caught(course_copy):
    edit_cell(course_copy / "data" / "timeline.csv", 1, "date", "2022-02-30")
    with pytest.raises(DataError, match=r"row 1 .*'2022-02-30' is not a valid date"):
        data.load("timeline", root=course_copy)


def test_missing_column_is_named_with_the_expected_header(course_copy):
    path = course_copy / "data" / "agreements.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).drop(columns=["status"])
    frame.to_csv(path, index=False)
    with pytest.raises(DataError) as err:
        data.load("agreements", root=course_copy)
    assert "agreements.csv" in str(err.value) and "missing column(s) 'status'" in str(err.value)
    assert "Fix the header row" in str(err.value)


def test_unknown_source_id_is_named_with_a_suggestion(course_copy):
    path = course_copy / "data" / "series.csv"
    real = pd.read_csv(path, dtype=str, keep_default_na=False).loc[4, "source_id"]
    edit_cell(path, 5, "source_id", real + "x")
    with pytest.raises(DataError) as err:
        data.load("series", root=course_copy)
    message = str(err.value)
    assert "row 5" in message and "'source_id'" in message and f"Did you mean {real!r}" in message
    assert "sources.csv" in message


def test_unknown_dataset_name_lists_the_names():
    with pytest.raises(DataError) as err:
        data.load("timelin", root=ROOT)
    assert "Did you mean 'timeline'" in str(err.value)
    for name in NAMES:
        assert name in str(err.value)


def test_text_in_a_number_column_is_reported(course_copy):
    edit_cell(course_copy / "data" / "series.csv", 2, "value", "1,200 mn")
    with pytest.raises(DataError, match=r"row 2 .*'value'.*not a number"):
        data.load("series", root=course_copy)


def test_value_outside_the_enum_is_reported(course_copy):
    edit_cell(course_copy / "data" / "timeline.csv", 4, "confidence", "very high")
    with pytest.raises(DataError, match=r"row 4 .*'confidence'.*'very high' is not one of high"):
        data.load("timeline", root=course_copy)


def test_duplicate_id_is_reported(course_copy):
    path = course_copy / "data" / "claims.csv"
    first = pd.read_csv(path, dtype=str).loc[0, "claim_id"]
    edit_cell(path, 2, "claim_id", first)
    with pytest.raises(DataError, match=r"row 2 .*repeats an earlier row's key"):
        data.load("claims", root=course_copy)


def test_broken_quoting_is_a_clear_error(course_copy):
    path = course_copy / "data" / "claims.csv"
    path.write_text(path.read_text(encoding="utf-8") + 'C99,"never closed,x,y\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"claims.csv: cannot be read as UTF-8 CSV"):
        data.load("claims", root=course_copy)


def test_missing_file_says_how_to_restore_it(course_copy):
    (course_copy / "data" / "pipeline.csv").unlink()
    with pytest.raises(DataError, match=r"pipeline.csv is missing.*git checkout"):
        data.load("pipeline", root=course_copy)


def test_loading_never_writes_the_files(course_copy):
    def digest():
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted((course_copy / "data").iterdir())}

    before = digest()
    for name in data.names(course_copy):
        frame = data.load(name, root=course_copy)
        frame.iloc[:, 0] = None  # editing the frame must not touch the file or the cache
    assert digest() == before
    assert data.load("sources", root=course_copy)["source_id"].notna().all()


def test_cite_unknown_id_suggests_the_nearest():
    with pytest.raises(DataError, match=r"Did you mean 'nias-pr-302'"):
        data.cite("nias-pr-303", root=ROOT)


def test_format_date_keeps_the_precision_of_the_source():
    stamp = pd.Timestamp("2022-02-23")
    assert data.format_date(stamp, "day") == "23 February 2022"
    assert data.format_date(stamp, "month") == "February 2022"
    assert data.format_date(pd.NaT, "day") == "date unknown"


def test_a_file_that_is_not_utf8_names_the_file_and_the_row(course_copy):
    path = course_copy / "data" / "timeline.csv"
    lines = path.read_bytes().split(b"\n")
    lines[4] = lines[4].replace(b",", b",caf\xe9 ", 1)  # a Latin-1 byte in data row 4
    path.write_bytes(b"\n".join(lines))
    first = lines[4].split(b",")[0].decode()
    with pytest.raises(DataError) as err:
        data.load("timeline", root=course_copy)
    message = str(err.value)
    assert "timeline.csv" in message and "row 4" in message and first in message
    assert "0xe9" in message and "UTF-8" in message
