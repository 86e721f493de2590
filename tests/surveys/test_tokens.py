"""Survey links are signed, expiring, single-use and bound to one survey."""

from __future__ import annotations

import datetime as dt

import pytest

from postroom.core.clock import pinned
from postroom.surveys.errors import SurveyAlreadyRated, SurveyLinkExpired, SurveyLinkInvalid
from postroom.surveys.queries import survey_by_token
from postroom.surveys.services import survey_rate
from postroom.surveys.tokens import nonce_new, survey_token_make, survey_token_read

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
T = dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC)


def test_a_token_says_which_survey_and_when_it_was_made():
    nonce = nonce_new()
    with pinned(T):
        token = survey_token_make(survey_id=42, nonce=nonce)
        payload = survey_token_read(token=token, max_age=14 * DAY)
    assert (payload.survey_id, payload.nonce, payload.issued_at) == (42, nonce, T)
    assert "/" not in token and " " not in token


def test_a_token_expires_after_max_age():
    with pinned(T):
        token = survey_token_make(survey_id=42, nonce=nonce_new())
    with pinned(T + 14 * DAY):
        survey_token_read(token=token, max_age=14 * DAY)
    with pinned(T + 14 * DAY + dt.timedelta(seconds=1)), pytest.raises(SurveyLinkExpired) as err:
        survey_token_read(token=token, max_age=14 * DAY)
    assert err.value.survey_id == 42


@pytest.mark.parametrize("where", ["id", "nonce", "separator", "timestamp", "signature end"])
def test_a_token_with_one_character_changed_is_refused(where):
    token = survey_token_make(survey_id=42, nonce=nonce_new())
    index = {
        "id": 0,
        "nonce": 5,
        "separator": token.index(":"),
        "timestamp": token.index(":") + 1,
        "signature end": len(token) - 1,
    }[where]
    changed = token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]
    with pytest.raises(SurveyLinkInvalid):
        survey_token_read(token=changed, max_age=14 * DAY)


@pytest.mark.parametrize("garbage", ["", "x", "1.abc", ":::", "é" * 20, "a" * 5000, "1.%s:zz:zz"])
def test_garbage_is_refused_as_invalid(garbage):
    with pytest.raises(SurveyLinkInvalid):
        survey_token_read(token=garbage, max_age=14 * DAY)


def test_the_surveys_own_token_opens_it(surveyed):
    survey, links = surveyed
    assert survey_by_token(token=links[5]) == survey


def test_swapping_the_survey_id_in_a_token_is_refused(surveyed, ticket, solve):
    survey, links = surveyed
    token = links[5]
    other_id = survey.pk + 1
    swapped = token.replace(f"{survey.pk}.", f"{other_id}.", 1)
    assert swapped != token
    with pytest.raises(SurveyLinkInvalid):
        survey_by_token(token=swapped)


def test_a_genuinely_signed_token_for_another_survey_needs_that_surveys_nonce(surveyed):
    survey, links = surveyed
    payload = survey_token_read(token=links[5], max_age=14 * DAY)
    # Even with the signing key, a token for survey N needs the nonce only its mail had.
    forged = survey_token_make(survey_id=survey.pk, nonce=nonce_new())
    with pytest.raises(SurveyLinkInvalid):
        survey_by_token(token=forged)
    assert (
        survey_by_token(token=survey_token_make(survey_id=survey.pk, nonce=payload.nonce)) == survey
    )


def test_a_token_from_another_salt_is_refused(surveyed):
    from django.core import signing

    survey, links = surveyed
    payload = survey_token_read(token=links[5], max_age=14 * DAY)
    other = signing.TimestampSigner(salt="postroom.portal").sign(f"{survey.pk}.{payload.nonce}")
    with pytest.raises(SurveyLinkInvalid):
        survey_by_token(token=other)


def test_an_expired_survey_cannot_be_rated(surveyed):
    survey, links = surveyed
    with pinned(survey.created_at + 14 * DAY + dt.timedelta(minutes=1)):
        with pytest.raises(SurveyLinkExpired) as err:
            survey_rate(token=links[5], rating=5)
    assert err.value.language == "en"
    survey.refresh_from_db()
    assert survey.rating is None


def test_the_rows_expiry_holds_even_when_the_setting_grows(surveyed, settings):
    survey, links = surveyed
    settings.POSTROOM = {**settings.POSTROOM, "SURVEY_EXPIRY_DAYS": 60}
    with pinned(survey.expires_at + dt.timedelta(seconds=1)), pytest.raises(SurveyLinkExpired):
        survey_by_token(token=links[5])


def test_a_used_token_cannot_rate_again(surveyed):
    survey, links = surveyed
    survey_rate(token=links[4], rating=4)
    with pytest.raises(SurveyAlreadyRated):
        survey_rate(token=links[1], rating=1)
    survey.refresh_from_db()
    assert survey.rating == 4
