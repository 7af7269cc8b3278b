"""`RecordsField` lists the same choices as Django's field, in one plain query a listing."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ombuds.core.fields import RecordsField

pytestmark = pytest.mark.django_db


@pytest.fixture
def groups():
    return [Group.objects.create(name=name) for name in ("Clerks", "Board", "Auditors")]


def _listed(field: forms.ModelMultipleChoiceField) -> tuple[list, int]:
    with CaptureQueriesContext(connection) as queries:
        choices = [(str(value), label) for value, label in field.choices]
    return choices, len(queries)


def test_the_choices_are_django_s_in_the_same_order_one_query_a_listing(groups):
    queryset = Group.objects.order_by("name")
    ours = RecordsField(queryset=queryset)
    django_s = forms.ModelMultipleChoiceField(queryset=queryset)
    assert _listed(ours) == _listed(django_s)
    choices, count = _listed(ours)
    assert [label for _, label in choices] == ["Auditors", "Board", "Clerks"]
    assert count == 1
    Group.objects.create(name="Aldermen")  # each listing reads afresh, as Django's does
    assert _listed(ours)[0][0][1] == "Aldermen"


def test_a_queryset_with_prefetching_is_read_as_django_reads_it(groups):
    queryset = Group.objects.order_by("name").prefetch_related("permissions")
    ours = RecordsField(queryset=queryset)
    django_s = forms.ModelMultipleChoiceField(queryset=queryset)
    assert _listed(ours) == _listed(django_s)
    assert _listed(ours) == _listed(django_s)  # listed again: the kept results, no more queries
