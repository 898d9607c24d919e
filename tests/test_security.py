import pytest

from app import security


def test_passwords_are_hashed_with_argon2_and_verified():
    h = security.hash_password("correct horse battery")
    assert h.startswith("$argon2id$") and "correct horse" not in h
    assert security.verify_password(h, "correct horse battery")
    assert not security.verify_password(h, "wrong horse battery")
    assert not security.verify_password("not a hash", "anything")


@pytest.mark.parametrize("password", ["short", "demo", "alice12345"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(security.PasswordRejected):
        security.check_new_password(password, "alice12345")


def test_tokens_are_random_and_stored_as_sha256():
    a, b = security.new_token("mifi_"), security.new_token("mifi_")
    assert a != b and a.startswith("mifi_") and len(a) > 40
    assert len(security.token_hash(a)) == 64 and security.token_hash(a) != a


def test_csrf_token_belongs_to_its_login_token():
    t = security.csrf_token("login-a")
    assert security.csrf_ok("login-a", t)
    assert not security.csrf_ok("login-b", t)
    assert not security.csrf_ok("login-a", None)


def test_the_hasher_is_argon2id_with_owasp_strength_parameters():
    from argon2 import Type, extract_parameters

    params = extract_parameters(security.hash_password("correct horse battery"))
    assert params.type is Type.ID
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2  # OWASP's argon2id minimum


def test_the_sign_in_forms_token_must_match_its_cookie():
    t = security.new_token()
    assert security.login_csrf_ok(t, t)
    assert not security.login_csrf_ok(t, security.new_token())
    assert not security.login_csrf_ok(None, t) and not security.login_csrf_ok(t, None)
    assert not security.login_csrf_ok("", "")
