"""Server-side SVG charts: well-formed, points where the numbers say, labels escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tetherai.web.charts import line_chart, metric_deltas

SVG = "{http://www.w3.org/2000/svg}"


def points(element: ET.Element) -> list[tuple[float, float]]:
    return [
        (float(x), float(y))
        for x, y in (pair.split(",") for pair in element.attrib["points"].split())
    ]


def test_a_falling_loss_goes_down_to_the_right() -> None:
    svg = ET.fromstring(str(line_chart("loss", {"v2": [0.9, 0.5, 0.3]})))
    (line,) = svg.iter(f"{SVG}polyline")
    drawn = points(line)
    assert len(drawn) == 3
    xs, ys = [p[0] for p in drawn], [p[1] for p in drawn]
    assert xs == sorted(xs) and xs[0] < xs[-1]
    assert ys[0] < ys[1] < ys[2]  # SVG's y grows downwards: the largest value is highest
    assert svg.find(f"{SVG}title").text == "loss"  # type: ignore[union-attr]


def test_two_series_share_one_scale() -> None:
    svg = ET.fromstring(str(line_chart("acc", {"mine": [0.5, 1.0], "other": [0.5, 0.75]})))
    mine, other = svg.iter(f"{SVG}polyline")
    assert points(mine)[0] == points(other)[0]  # same value, same place
    assert points(mine)[1][1] < points(other)[1][1]  # 1.0 above 0.75
    assert mine.attrib["stroke"] != other.attrib["stroke"]
    legend = [
        "".join(t.itertext()) for t in svg.iter(f"{SVG}text") if "(last" in "".join(t.itertext())
    ]
    assert legend == ["mine (last 1)", "other (last 0.75)"]


def test_shorter_series_end_early_on_the_shared_epoch_axis() -> None:
    svg = ET.fromstring(str(line_chart("loss", {"long": [4, 3, 2, 1], "short": [4, 3]})))
    long, short = svg.iter(f"{SVG}polyline")
    assert points(short)[1][0] == points(long)[1][0]
    assert points(short)[1][0] < points(long)[3][0]


@pytest.mark.parametrize("values", [[0.5], [2.0, 2.0, 2.0]])
def test_single_points_and_flat_lines_are_drawn(values: list[float]) -> None:
    svg = ET.fromstring(str(line_chart("m", {"run": values})))
    shapes = list(svg.iter(f"{SVG}polyline")) + list(svg.iter(f"{SVG}circle"))
    assert len(shapes) == 1


def test_no_numbers_still_gives_a_valid_chart() -> None:
    svg = ET.fromstring(str(line_chart("empty", {"run": [], "nan": [float("nan")]})))
    assert not list(svg.iter(f"{SVG}polyline"))


def test_labels_are_escaped() -> None:
    markup = str(line_chart('<script>alert("x")</script>', {"<b>&": [1, 2]}))
    assert "<script>" not in markup and "<b>" not in markup
    ET.fromstring(markup)  # still well-formed


def test_metric_deltas_line_up_both_runs() -> None:
    deltas = metric_deltas({"acc": 0.97, "loss": 0.2}, {"acc": 0.95, "f1": 0.9, "flag": True})
    by_name = {d.metric: d for d in deltas}
    assert [d.metric for d in deltas] == ["acc", "f1", "flag", "loss"]
    assert by_name["acc"].delta == pytest.approx(0.02)
    assert by_name["f1"].mine is None and by_name["f1"].delta is None
    assert by_name["flag"].other is None  # a boolean is not a metric value


def test_axes_have_round_ticks_and_a_flat_series_reads_its_value() -> None:
    """Ticks at round numbers on both axes; a flat series is drawn on an axis around its
    value with distinct labels (never "0.01–0.01")."""
    svg = ET.fromstring(str(line_chart("loss", {"run": [0.9, 0.5, 0.31, 0.2]})))
    ys = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "y-tick"]
    assert ys == ["0.2", "0.4", "0.6", "0.8", "1"]
    xs = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "x-tick"]
    assert xs == ["1", "2", "3", "4"]
    flat = ET.fromstring(str(line_chart("gap", {"run": [0.01, 0.01, 0.01]})))
    labels = [t.text for t in flat.iter(f"{SVG}text") if t.get("class") == "y-tick"]
    assert len(labels) == len(set(labels)) >= 3 and "0.01" in labels
    (line,) = flat.iter(f"{SVG}polyline")
    assert len({y for _, y in points(line)}) == 1  # drawn level, inside the plot


def test_series_carry_their_points_for_the_hover_script() -> None:
    svg = ET.fromstring(str(line_chart("acc", {"v1": [0.5, 0.7], "v2": [0.6]})))
    assert svg.get("data-plot") and svg.get("data-x") == "1.0 2.0"
    found = {
        s.get("data-series"): s.get("data-points") for s in svg.iter() if s.get("class") == "series"
    }
    assert found == {"v1": "[[1,0.5],[2,0.7]]", "v2": "[[1,0.6]]"}
