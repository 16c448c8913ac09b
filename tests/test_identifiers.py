import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongban.core.errors import DomainError
from tongban.core.identifiers import (
    USCC_CHARS, make_id_card, make_uscc, mask_id_card, mask_phone, validate_id_card, validate_region_code, validate_uscc,
)
from tongban.core.regions import region_table

# 11010519491231002X is the worked example of GB 11643-1999 (check digit X).
STANDARD_ID = "11010519491231002X"


def error_of(fn, value, **kw):
    with pytest.raises(DomainError) as e:
        fn(value, **kw)
    return e.value


def test_standard_example_id_with_x_check_digit_is_valid():
    assert validate_id_card(STANDARD_ID) == STANDARD_ID
    assert validate_id_card(STANDARD_ID.lower()) == STANDARD_ID  # lower-case x is normalised


@pytest.mark.parametrize(
    "value, code, words",
    [
        ("11010519491231002", "id_card_length", "18位"),
        ("110105194912310021", "id_card_check", "校验位错误"),
        ("110105194902300021", "id_card_birth", "出生日期无效"),  # 30 February
        ("11010519491231A02X", "id_card_chars", "前17位应为数字"),
        ("990105194912310020", "id_card_region", "地址码无效"),
    ],
)
def test_bad_id_numbers_get_a_specific_chinese_message(value, code, words):
    err = error_of(validate_id_card, value)
    assert err.code == code
    assert words in err.message


def test_id_number_born_in_the_future_is_refused():
    future = make_id_card("370881", dt.date.today() + dt.timedelta(days=30), 11)
    assert "出生日期无效" in error_of(validate_id_card, future).message


@given(
    region=st.sampled_from(["370881", "370830", "370811", "110105"]),
    birth=st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2020, 12, 31)),
    seq=st.integers(min_value=0, max_value=999),
)
def test_generated_id_numbers_validate_and_any_changed_check_digit_fails(region, birth, seq):
    number = make_id_card(region, birth, seq)
    assert validate_id_card(number) == number
    for other in "0123456789X":
        if other != number[-1]:
            assert error_of(validate_id_card, number[:-1] + other).code == "id_card_check"


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L"])
def test_published_credit_codes_are_valid(code):
    assert validate_uscc(code) == code


@given(
    authority=st.sampled_from(list("1234589ANY")),
    kind=st.sampled_from(list("1239")),
    region=st.sampled_from(["370800", "370881", "110000"]),
    serial=st.integers(min_value=0, max_value=10**8 - 1),
    position=st.integers(min_value=0, max_value=17),
    replacement=st.sampled_from(list(USCC_CHARS)),
)
def test_generated_credit_codes_validate_and_one_changed_character_is_caught(authority, kind, region, serial, position, replacement):
    code = make_uscc(region, serial, authority=authority, kind=kind)
    assert validate_uscc(code) == code
    changed = code[:position] + replacement + code[position + 1 :]
    if changed != code:  # mod-31 weights catch every single-character substitution
        with pytest.raises(DomainError):
            validate_uscc(changed)


def test_credit_code_beginning_with_a_letter_is_valid():
    code = make_uscc("370881", 12345678, authority="N", kind="2")  # 农业 authority code
    assert code[0] == "N" and validate_uscc(code) == code


@pytest.mark.parametrize(
    "value, words",
    [("91350100M000100Y4", "18位"), ("91350100M000100Y44", "校验位错误"), ("91350100M000I00Y43", "不允许的字符"), ("9135O100M000100Y43", "不允许的字符")],
)
def test_bad_credit_codes_get_a_specific_chinese_message(value, words):
    assert words in error_of(validate_uscc, value).message


@pytest.mark.django_db
def test_region_codes_must_exist_in_the_database_table():
    assert validate_region_code("370800") == "370800"
    assert validate_region_code("511421") == "511421"  # 四川省眉山市仁寿县: the whole nation to county level
    assert "不存在" in error_of(validate_region_code, "379999").message
    assert "6位数字" in error_of(validate_region_code, "37080").message


@pytest.mark.django_db
def test_a_region_added_in_the_database_is_valid_and_a_deleted_one_is_not():
    from tongban.org.models import Region

    Region.objects.create(code="511499", name="眉山天府新区", level=3, parent=Region.objects.get(code="511400"))
    assert validate_region_code("511499") == "511499"
    Region.objects.filter(code="511425").delete()  # the file still lists 青神县; the database decides
    assert "不存在" in error_of(validate_region_code, "511425").message


@pytest.mark.django_db
def test_a_retired_code_stays_valid_for_records_dated_before_its_end():
    import datetime as dt

    from tongban.org.models import Region

    Region.objects.filter(code="511421").update(valid_to=dt.date(2026, 1, 1))
    assert validate_region_code("511421", on=dt.date(2025, 12, 31)) == "511421"
    assert "已于2026-01-01停用" in error_of(validate_region_code, "511421", on=dt.date(2026, 1, 1)).message


def test_region_table_has_every_province_and_every_county():
    table = region_table()
    provinces = [r for r in table.values() if r.level == 1]
    assert len(provinces) == 34
    shandong_cities = [r for r in table.values() if r.parent == "370000"]
    assert len(shandong_cities) == 16
    assert table["370116"].name == "莱芜区"  # 2019 merger of 莱芜 into 济南
    assert table["511421"].name == "仁寿县" and table["511421"].parent == "511400"
    assert table["110101"].parent == "110000"  # 市辖区 placeholders dropped: districts hang under the municipality
    assert table["469001"].parent == "460000"  # 省直辖县级行政区划 too
    assert table["441900"].level == 2  # 东莞市: a city without counties, listed once
    assert "370871" not in table  # statistics-only development zones are not GB/T 2260 codes
    assert len([r for r in table.values() if r.level == 3]) > 2800
    assert all(r.parent in table for r in table.values() if r.parent)


def test_masking_hides_the_middle_of_ids_and_phones():
    assert mask_id_card(STANDARD_ID) == "110105********002X"
    assert mask_phone("13905371234") == "139****1234"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kind, value, valid, words",
    [
        ("id_card", STANDARD_ID, True, "校验通过"),
        ("id_card", "110105194912310021", False, "校验位错误"),
        ("uscc", "91350100M000100Y43", True, "校验通过"),
        ("region", "370830", True, "校验通过"),
        ("region", "379999", False, "不存在"),
    ],
)
def test_identifier_api_answers_valid_and_message(client, kind, value, valid, words):
    r = client.get("/api/v1/identifiers/validate", {"kind": kind, "value": value})
    assert r.status_code == 200
    body = r.json()
    assert body["valid"] is valid and words in body["message"]


@pytest.mark.django_db
def test_identifier_api_refuses_unknown_kind_in_chinese(client):
    r = client.get("/api/v1/identifiers/validate", {"kind": "passport", "value": "E123"})
    assert r.status_code == 422
    assert "请求参数有误" in r.json()["message"]


def test_unicode_digits_are_refused_in_chinese_not_a_crash():
    from tongban.core.errors import DomainError
    from tongban.core.identifiers import validate_id_card, validate_uscc

    for bad, check in (("37088119880506²²²X", validate_id_card), ("91370800²²²²²²²²²X", validate_uscc)):
        with pytest.raises(DomainError):
            check(bad)
