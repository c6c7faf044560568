"""Plugin hooks: the whole contract between Payung's core and a scheme plugin.

Every hook is documented in ``plugins/README.md`` (a test checks that). A scheme that only
describes itself implements ``register_schemes``; the built-in default plugin turns the
``fields``, ``rules``, ``adjust`` and ``panels`` of each Scheme into the hooks below, so the
remaining hooks are for plugins that add behaviour across schemes.
"""

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("payung")
hookimpl = HookimplMarker("payung")


@hookspec
def register_schemes(settings):
    """Return a list of ``Scheme`` objects this plugin provides (``settings``: the loaded config)."""


@hookspec
def form_fields(scheme, form, settings):
    """Return extra ``Field`` objects for ``form`` ("sponsorship" or "sponsor") of ``scheme``."""


@hookspec
def validate_sponsorship(enrolment):
    """Return a list of ``Problem`` (empty when fine) for a proposed sponsorship (``Enrolment``)."""


@hookspec(firstresult=True)
def adjust_contribution(enrolment, month, contribution):
    """Return a changed ``Contribution`` for ``month`` of this enrolment, or None to keep it."""


@hookspec
def dashboard_panels(scheme, data, month):
    """Return ``Panel`` objects for ``scheme``'s dashboard in ``month``, read through ``data``."""


@hookspec
def register_pages(settings):
    """Return ``Page`` objects to add to the navigation."""
