"""Payung's own hook implementations: it reads each Scheme's declared fields, rules,
contribution adjustment and panels, so a scheme plugin can be pure description."""

from __future__ import annotations

from payung.schemes.hookspecs import hookimpl


@hookimpl
def form_fields(scheme, form, settings):
    return list(scheme.fields) if form == "sponsorship" else []


@hookimpl
def validate_sponsorship(enrolment):
    problems = []
    for rule in enrolment.scheme.rules:
        problems.extend(rule(enrolment))
    return problems


@hookimpl
def adjust_contribution(enrolment, month, contribution):
    if enrolment.scheme.adjust is not None:
        return enrolment.scheme.adjust(enrolment, month, contribution)
    return None


@hookimpl
def dashboard_panels(scheme, data, month):
    return list(scheme.panels(data, month)) if scheme.panels is not None else []
