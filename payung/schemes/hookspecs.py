"""Plugin hooks: the whole contract between Payung's core and a scheme plugin.

A scheme that only describes itself implements ``register_schemes``; Payung's built-in default
plugin (``default_plugin``) turns the ``fields``, ``rules``, ``adjust`` and ``panels`` of each
Scheme into the other hooks, which are for plugins that add behaviour across schemes: they
are called for every scheme, so an implementation checks ``scheme.code`` and returns None for
schemes that are not its own.

Plugins are asked last registered first (pluggy's order): the plugins of the plugin folder by
file name, installed packages, the TOML schemes, then the default plugin. One plugin that
raises never takes the others down: what happens instead is said per hook.

Each docstring names every parameter, what to return, and whether the first answer wins;
docs/plugins/reference.md is generated from them (``python -m payung docs``).
"""

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("payung")
hookimpl = HookimplMarker("payung")


@hookspec
def register_schemes(settings):
    """The schemes this plugin provides: most plugins implement only this hook.

    :param settings: The loaded ``config.toml``: ``settings.scheme_settings(code)`` is a copy
        of the scheme's ``[schemes.<code>]`` table (defaults belong in the plugin),
        ``settings.regencies`` the regencies served, ``settings.occupations`` the occupation
        codes and labels.
    :returns: A list of ``Scheme`` objects (None or an empty list: none).

    Called once per plugin while the plugins load; every plugin's schemes are kept. A scheme
    whose code is taken, whose regency is not configured, that names an unknown sponsor type,
    program or funding code, or that offers more than 60 months (``months``) is refused with its
    plugin, which the Skema page and ``python -m payung schemes`` list with the reason; so is a
    plugin whose ``register_schemes`` raises.
    """


@hookspec
def form_fields(scheme, form, settings):
    """Extra fields of a form of a scheme, beyond the scheme's own ``fields``.

    :param scheme: The ``Scheme`` whose form is drawn or checked (every scheme is asked about:
        return None for the ones that are not yours).
    :param form: Which form: ``"sponsorship"`` (the enrolment form and import) or ``"sponsor"``.
    :param settings: The loaded ``config.toml``, as for ``register_schemes``.
    :returns: A list of ``Field`` objects, or None.

    Every plugin's fields are merged; of two fields with one name the first answer's is kept.
    A plugin that raises adds no field.
    """


@hookspec
def validate_sponsorship(enrolment):
    """The problems of a proposed sponsorship; the rules of the scheme are checked this way.

    :param enrolment: The ``Enrolment`` being checked: ``scheme``, ``sponsor`` and ``worker``
        (rows as dicts), ``programs``, ``start_month``, ``months``, ``month_list``,
        ``end_month``, ``worker_age``, the clean ``fields``, ``settings`` and ``data``, a
        ``DataReader`` that sees every row (so a quota counts the whole scheme, and in a list
        enrolment the rows accepted before this one).
    :returns: A list of ``Problem(field, message, rule)`` in Indonesian, saying what to do;
        an empty list or None when the enrolment is fine.

    Every plugin's problems are collected and shown together; the enrolment is saved only when
    there are none. A plugin that raises refuses the enrolment (its error is shown): a broken
    rule never lets an enrolment through.
    """


@hookspec(firstresult=True)
def adjust_contribution(enrolment, month, contribution):
    """A contribution other than the rate table's, for one month of an enrolment.

    :param enrolment: The ``Enrolment`` being priced (as for ``validate_sponsorship``).
    :param month: The month priced, ``"YYYY-MM"``.
    :param contribution: The ``Contribution(jkk, jkm, jht)`` the rate table and the relief
        programmes of ``config.toml`` give, integer Rupiah.
    :returns: A changed ``Contribution`` (integer Rupiah), or None to keep ``contribution``.

    The first answer that is not None wins (``firstresult``): later plugins are not asked. The
    amount is fixed when the sponsorship is created. A plugin that raises stops the enrolment
    with its error. The renewal lines of Tunggakan & perpanjangan are priced with it too (each
    month of up to 100 lines, on every change of the data: keep it cheap), with the fields the
    renewal takes before its confirmation is opened: a field not carried into a new year
    (``carry_over``) is empty there, and a line whose hook read one (``fields.get(name)``, ``name
    in fields``, or all of them by going through the fields) says its price is an estimate
    ("perkiraan") until the field is given in the confirmation; a hook that raises there leaves
    the line unpriced.
    """


@hookspec
def dashboard_panels(scheme, data, month):
    """The scheme's own panels on the Beranda (and the Skema page), as data.

    :param scheme: The ``Scheme`` shown (every scheme is asked about).
    :param data: A ``DataReader`` inside the slice of the user looking (a village operator's
        villages, an operator's regency; on the Beranda also the district or village chosen):
        read every number through it.
    :param month: The month shown, ``"YYYY-MM"``.
    :returns: A list of ``Panel`` objects, or None.

    Every plugin's panels are shown, in the order of the answers. A plugin that raises is shown
    as one error panel naming it; the other panels stay.
    """


@hookspec
def register_pages(settings):
    """Pages of the plugin's own, added to the navigation.

    :param settings: The loaded ``config.toml``, as for ``register_schemes``.
    :returns: A list of ``Page`` objects, or None. Prefix each ``url_path`` with your scheme
        code: two pages with one path cannot both exist.

    Every plugin's pages are added. A plugin that raises adds no page.
    """
