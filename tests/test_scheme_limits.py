"""One longest sponsorship for every scheme: what a scheme may offer (``months``), in Python or
in TOML, is what an enrolment may take (``payung.schemes.model.MAX_MONTHS``). A TOML scheme
could offer up to 120 months that every enrolment then refused (1-60)."""

import pytest

from payung.core import Payung
from payung.enrolment import sponsorships
from payung.schemes import declarative, model
from payung.schemes.declarative import DeclarationError, load_scheme

from conftest import write_config

TOML = '''code = "skema_lama"
name = "Skema lama"
regency_code = "33.24"
months = [{months}]
'''
PYTHON = '''
from payung.plugin import Scheme, hookimpl

@hookimpl
def register_schemes(settings):
    return [Scheme(code="skema_lama", name="Skema lama", regency_code="33.24", months=({months},))]
'''


def test_the_scheme_limit_is_the_enrolment_limit():
    assert sponsorships.MAX_MONTHS == declarative.MAX_MONTHS == model.MAX_MONTHS == 60


def test_a_toml_scheme_may_offer_the_longest_sponsorship_and_no_longer(tmp_path):
    settings = Payung.load(write_config(tmp_path), entry_points=False).settings
    assert load_scheme(TOML.format(months=model.MAX_MONTHS), settings).months == (model.MAX_MONTHS,)
    with pytest.raises(DeclarationError, match=f"paling lama {model.MAX_MONTHS} bulan"):
        load_scheme(TOML.format(months=72), settings)


@pytest.mark.parametrize("months, loaded", [(model.MAX_MONTHS, True), (72, False)])
def test_a_python_scheme_offering_longer_is_refused_with_why(tmp_path, months, loaded):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "lama.py").write_text(PYTHON.format(months=months))
    app = Payung.load(write_config(tmp_path, plugins_dir=str(folder)), entry_points=False)
    assert ("skema_lama" in app.plugins.schemes) is loaded
    if not loaded:
        [status] = [s for s in app.plugins.statuses if s.name == "lama"]
        assert status.state == "galat" and f"paling lama {model.MAX_MONTHS} bulan" in status.error
