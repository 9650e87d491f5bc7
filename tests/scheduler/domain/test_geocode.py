"""Postcodes placed offline from the trust's file: ONSPD and Code-Point Open, with fallbacks."""

from __future__ import annotations

import pytest

from scheduler.domain.geocode import Gazetteer, PostcodeError, normalise

ONSPD = """pcd,pcd2,pcds,dointr,doterm,oseast1m,osnrth1m,lat,long
AL1 3HD,AL1  3HD,AL1 3HD,198001,,515500,207100,51.752000,-0.336000
AL1 3JB,AL1  3JB,AL1 3JB,198001,,515700,207300,51.754000,-0.333000
AL1 9ZZ,AL1  9ZZ,AL1 9ZZ,198001,201012,515600,207200,51.753000,-0.334000
SG1 1AA,SG1  1AA,SG1 1AA,198001,,524000,225000,51.903000,-0.202000
SG1 9XX,SG1  9XX,SG1 9XX,198001,,,,99.999999,0.000000
CB1 1AA,CB1  1AA,CB1 1AA,198001,,545000,258000,52.200000,0.120000
"""


@pytest.fixture
def onspd(tmp_path):
    path = tmp_path / "ONSPD_HERTS.csv"
    path.write_text(ONSPD, encoding="utf-8")
    return path


def test_normalise_takes_the_spellings_people_type():
    assert normalise("al13hd") == "AL1 3HD"
    assert normalise(" SG12 7 AB ") == "SG12 7AB"
    assert normalise("WD17 1AA") == "WD17 1AA"
    assert normalise("sg12") == "SG12"
    for bad in ("", "12345", "AL1 3H", "HELLO"):
        with pytest.raises(PostcodeError, match="not a UK postcode"):
            normalise(bad)


def test_onspd_postcode_is_placed_at_its_own_point(onspd):
    g = Gazetteer.from_file(onspd)
    placed = g.locate("al1 3hd")
    assert placed.precision == "postcode" and placed.note == ""
    assert (placed.location.lat, placed.location.lon) == (51.752, -0.336)


def test_rows_without_a_grid_reference_are_skipped_and_fall_back(onspd):
    g = Gazetteer.from_file(onspd)
    placed = g.locate("SG1 9XX")  # in the file, but with ONSPD's 99.999999 "no grid" latitude
    assert placed.precision == "district"
    assert (placed.location.lat, placed.location.lon) == (51.903, -0.202)


def test_unknown_postcode_falls_back_to_the_mean_of_its_district_with_a_note(onspd):
    g = Gazetteer.from_file(onspd)
    placed = g.locate("AL1 5QQ")
    assert placed.precision == "district"
    assert placed.location.lat == pytest.approx((51.752 + 51.754 + 51.753) / 3)
    assert "AL1 5QQ is not in ONSPD_HERTS.csv" in placed.note and "district AL1" in placed.note


def test_an_outward_code_alone_is_placed_at_the_district_centre(onspd):
    placed = Gazetteer.from_file(onspd).locate("sg1")
    assert placed.precision == "district" and "only a postcode district" in placed.note


def test_terminated_postcode_is_used_but_says_so(onspd):
    placed = Gazetteer.from_file(onspd).locate("AL1 9ZZ")
    assert placed.precision == "postcode" and "terminated" in placed.note


def test_unknown_district_is_refused_in_words(onspd):
    with pytest.raises(PostcodeError, match="neither the postcode nor its district HP1"):
        Gazetteer.from_file(onspd).locate("HP1 1AA")


def test_district_file_fills_districts_the_postcode_file_lacks(onspd, tmp_path):
    districts = tmp_path / "districts.csv"
    districts.write_text(
        "postcode,eastings,northings,latitude,longitude,town\n"
        "HP1,504000,207000,51.7560,-0.4870,Hemel Hempstead\n"
        "AL1,0,0,10.0,10.0,wrong on purpose\n",
        encoding="utf-8",
    )
    g = Gazetteer.from_file(onspd, districts_file=districts)
    assert g.locate("HP1 1AA").location.lat == 51.756
    # the postcode file's own postcodes win over the district file for a district it has
    assert g.locate("AL1 5QQ").location.lat == pytest.approx(51.753)


def test_areas_keep_only_the_trusts_postcode_areas(onspd):
    g = Gazetteer.from_file(onspd, areas={"AL", "SG"})
    assert len(g) == 4  # AL1 ×3, SG1 1AA; CB1 dropped, SG1 9XX has no grid reference
    with pytest.raises(PostcodeError):
        g.locate("CB1 1AA")


@pytest.mark.parametrize("header", [True, False])
def test_codepoint_open_eastings_northings_become_wgs84(tmp_path, header):
    path = tmp_path / "al.csv"
    # The worked example of OS's "A guide to coordinate systems in Great Britain" (Caister
    # water tower): E 651409.903, N 313177.270 is 52°39'27.2531"N 1°43'4.5177"E on OSGB36,
    # about 120 m from its WGS84 point (52.6580 N, 1.7161 E): within 0.3 km either way.
    rows = '"NR30 5AA",10,651409.903,313177.270,"E92000001","E19000001","E18000009","E10000015"\n'
    rows += '"NR30 0AA",90,0,0,"","","",""\n'  # Code-Point's "no coordinates"
    text = ("Postcode,Positional_quality_indicator,Eastings,Northings,Country_code,NHS_regional_HA_code,"
            "NHS_HA_code,Admin_county_code\n" if header else "") + rows  # fmt: skip
    path.write_text(text, encoding="utf-8")
    g = Gazetteer.from_file(path)
    assert len(g) == 1
    here = g.locate("NR30 5AA").location
    osgb36 = (52 + 39 / 60 + 27.2531 / 3600, 1 + 43 / 60 + 4.5177 / 3600)
    assert abs(here.lat - osgb36[0]) * 111 < 0.3 and abs(here.lon - osgb36[1]) * 68 < 0.3


def test_a_file_in_neither_format_is_refused(tmp_path):
    path = tmp_path / "patients.csv"
    path.write_text("patient_id,lat,lon\nP1,51.7,-0.3\n", encoding="utf-8")
    with pytest.raises(PostcodeError, match="neither an ONS Postcode Directory"):
        Gazetteer.from_file(path)
