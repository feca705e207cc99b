"""Every catalogue layer has a static shape rule or a stated reason for having none, and
docs/shape-rules.md is the page `shape_rules_page` writes from the registry."""

from __future__ import annotations

from graphspec.catalogue.shape_rules.base import RULES
from graphspec.catalogue.shape_rules.coverage import NO_RULE, catalogue_classes, shape_rules_page
from tests.conftest import ROOT


def test_every_catalogue_layer_has_a_rule_or_a_reason() -> None:
    classes = set(catalogue_classes())
    assert set(RULES) <= classes, "a rule is registered for a name the catalogue lacks"
    assert set(NO_RULE) <= classes, "a reason is given for a name the catalogue lacks"
    assert set(RULES) & set(NO_RULE) == set(), "a layer with a rule is also said to have none"
    assert classes - set(RULES) - set(NO_RULE) == set()


def test_the_page_is_the_registry() -> None:
    """Regenerate the page with
    ``python -m graphspec.catalogue.shape_rules.coverage > docs/shape-rules.md``."""
    page = (ROOT / "docs" / "shape-rules.md").read_text()
    assert page == shape_rules_page()


def test_the_page_counts_and_lists_every_class() -> None:
    page = shape_rules_page()
    classes = catalogue_classes()
    ruled = [c for c in classes if c in RULES]
    assert f"{len(ruled)} of the {len(classes)} layer classes" in page
    for layer in classes:
        assert f"`{layer}`" in page, layer
    assert "| `Lambda` | a spec may not name it" in page
    assert "`MaxPooling2D` (`MaxPool2D`)" in page
