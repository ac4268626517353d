"""The OpenAPI schema and the Swagger UI need a signed-in caller (a token or the page session):
anonymous, the schema answers 401 with the API's Chinese error, the UI sends the reader to the
sign-in page and back."""

from django.urls import reverse


def test_the_schema_refuses_an_anonymous_caller_with_401(db, client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.json()["message"] == "未登录或未提供身份凭证。"
    assert "paths" not in response.content.decode()


def test_the_schema_answers_a_token_and_a_session(people, client, api):
    by_token = api.as_user(people["api_client"]).get("/api/schema/", {"format": "json"})
    assert by_token.status_code == 200 and "/api/v1/projects/" in by_token.json()["paths"]

    client.force_login(people["city_office"])
    by_session = client.get("/api/schema/", {"format": "json"})
    assert by_session.status_code == 200


def test_a_wrong_token_is_refused(db, client):
    response = client.get(
        "/api/schema/", {"format": "json"}, HTTP_AUTHORIZATION="Token not-a-real-token"
    )
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert response.json()["message"] == "认证令牌无效。"


def test_the_docs_page_sends_an_anonymous_reader_to_sign_in_and_back(db, client):
    response = client.get("/api/docs/")

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/api/docs/"


def test_the_docs_page_and_its_script_for_one_signed_in(people, client):
    client.force_login(people["province_office"])

    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="/api/docs/?script="' in html  # the start-up script is a file, not inline
    assert "<style" not in html

    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()


def test_the_docs_script_is_refused_anonymous_too(db, client):
    assert client.get("/api/docs/", {"script": ""}).status_code == 302
