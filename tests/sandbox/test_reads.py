"""Reads: companies, connections, info, data status and every cached data type, contract-checked."""

from __future__ import annotations

import httpx
import pytest

from tests.sandbox.conftest import Exchanges
from tests.upstream import SeededCompany

DATA_TYPES = [
    "bills",
    "billPayments",
    "billCreditNotes",
    "suppliers",
    "accounts",
    "paymentMethods",
    "taxRates",
    "trackingCategories",
]


def test_companies_list_and_get_match_the_seed(
    codat: httpx.Client, companies: list[SeededCompany]
) -> None:
    listed = codat.get("/companies").json()
    assert [c["id"] for c in listed["results"]] == [c.id for c in companies]
    assert listed["totalResults"] == len(companies)
    one = codat.get(f"/companies/{companies[0].id}").json()
    assert one["dataConnections"][0]["id"] == companies[0].connection_id


def test_companies_can_be_filtered_by_tags_and_query(
    codat: httpx.Client, companies: list[SeededCompany]
) -> None:
    by_tag = codat.get("/companies", params={"tags": "index=1"}).json()
    assert [c["id"] for c in by_tag["results"]] == [companies[1].id]
    by_name = codat.get("/companies", params={"query": "name~toft"}).json()
    assert [c["id"] for c in by_name["results"]] == [companies[0].id]


def test_connections_list_and_get(codat: httpx.Client, company: SeededCompany) -> None:
    listed = codat.get(f"/companies/{company.id}/connections").json()
    assert [c["id"] for c in listed["results"]] == [company.connection_id]
    one = codat.get(f"/companies/{company.id}/connections/{company.connection_id}").json()
    assert one["status"] == "Linked"
    assert one["sourceType"] == "Accounting"


def test_company_info_and_data_status(codat: httpx.Client, company: SeededCompany) -> None:
    info = codat.get(f"/companies/{company.id}/data/info").json()
    assert info["baseCurrency"] == "GBP"
    status = codat.get(f"/companies/{company.id}/dataStatus").json()
    assert status["bills"]["currentStatus"] == "Complete"
    assert status["chartOfAccounts"]["latestSuccessfulSyncId"]


@pytest.mark.parametrize("data_type", DATA_TYPES)
def test_each_data_type_lists_and_gets_one_record(
    codat: httpx.Client, company: SeededCompany, data_type: str
) -> None:
    listed = codat.get(f"/companies/{company.id}/data/{data_type}").json()
    assert listed["totalResults"] == company.counts[data_type] == len(listed["results"])
    record_id = listed["results"][-1]["id"]
    one = codat.get(f"/companies/{company.id}/data/{data_type}/{record_id}").json()
    assert one["id"] == record_id


def test_tracking_category_get_returns_a_tree_with_sub_categories(
    codat: httpx.Client, company: SeededCompany
) -> None:
    listed = codat.get(f"/companies/{company.id}/data/trackingCategories").json()["results"]
    parent = next(c for c in listed if c["hasChildren"])
    assert "subCategories" not in parent
    tree = codat.get(f"/companies/{company.id}/data/trackingCategories/{parent['id']}").json()
    children = {c["id"] for c in listed if c.get("parentId") == parent["id"]}
    assert {c["id"] for c in tree["subCategories"]} == children


def test_bank_accounts_are_found_with_is_bank_account_query(
    codat: httpx.Client, company: SeededCompany
) -> None:
    banks = codat.get(
        f"/companies/{company.id}/data/accounts", params={"query": "isBankAccount=true"}
    ).json()
    assert banks["totalResults"] == 3
    assert {a["currency"] for a in banks["results"]} == {"GBP", "USD", "EUR"}


def test_paging_walks_every_page_with_links_that_keep_query_and_order(
    codat: httpx.Client, company: SeededCompany
) -> None:
    params = {"pageSize": "7", "query": "metadata.isDeleted!=true", "orderBy": "-dueDate"}
    first = codat.get(f"/companies/{company.id}/data/bills", params=params).json()
    total = first["totalResults"]
    assert "previous" not in first["_links"]
    assert first["_links"]["self"]["href"].endswith(
        "query=metadata.isDeleted%21%3Dtrue&orderBy=-dueDate"
    )
    seen = [b["id"] for b in first["results"]]
    page = first
    while "next" in page["_links"]:
        page = codat.get(page["_links"]["next"]["href"]).json()
        assert page["pageSize"] == 7
        assert "previous" in page["_links"]
        seen.extend(b["id"] for b in page["results"])
    assert len(seen) == len(set(seen)) == total
    assert page["pageNumber"] == -(-total // 7)


def test_page_past_the_end_is_empty_but_valid(codat: httpx.Client, company: SeededCompany) -> None:
    page = codat.get(
        f"/companies/{company.id}/data/bills", params={"page": 99, "pageSize": 10}
    ).json()
    assert page["results"] == []
    assert page["_links"]["previous"]["href"].endswith("page=4&pageSize=10")


@pytest.mark.parametrize(
    "params", [{"page": "0"}, {"pageSize": "0"}, {"pageSize": "5001"}, {"page": "x"}]
)
def test_bad_paging_parameters_are_400(
    codat: httpx.Client, company: SeededCompany, params: dict[str, str]
) -> None:
    response = codat.get(f"/companies/{company.id}/data/bills", params=params)
    assert response.status_code == 400
    assert response.json()["canBeRetried"] == "Unknown"


def test_page_size_5000_is_accepted(codat: httpx.Client, company: SeededCompany) -> None:
    page = codat.get(f"/companies/{company.id}/data/bills", params={"pageSize": 5000}).json()
    assert page["pageSize"] == 5000


def test_unknown_company_and_record_are_404_error_messages(
    codat: httpx.Client, company: SeededCompany
) -> None:
    missing = codat.get("/companies/00000000-0000-4000-8000-000000000000/data/bills")
    assert missing.status_code == 404
    assert missing.json()["service"] == "ClientsApi"
    record = codat.get(f"/companies/{company.id}/data/bills/no-such-bill")
    assert record.status_code == 404
    assert record.json()["statusCode"] == 404
    connection = codat.get(
        f"/companies/{company.id}/connections/00000000-0000-4000-8000-000000000000"
    )
    assert connection.status_code == 404


def test_unknown_path_is_a_codat_404(codat: httpx.Client) -> None:
    response = httpx.get(f"{codat.base_url}/nothing/here", headers=dict(codat.headers))
    assert response.status_code == 404
    assert response.json()["error"].startswith("The path")


@pytest.mark.parametrize("header", [None, "Bearer abc", "Basic !!notbase64", "Basic d3Jvbmcta2V5"])
def test_missing_or_wrong_authorization_is_401(sandbox_url: str, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = httpx.get(f"{sandbox_url}/companies", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {
        "statusCode",
        "service",
        "error",
        "correlationId",
        "canBeRetried",
        "detailedErrorCode",
    }
    assert body["canBeRetried"] == "Unknown"
    assert body["detailedErrorCode"] == 0


def test_every_response_carries_rate_limit_headers(
    codat: httpx.Client, company: SeededCompany, exchanges: Exchanges
) -> None:
    codat.get(f"/companies/{company.id}")
    codat.get(f"/companies/{company.id}/data/bills/missing")
    for _, response in exchanges.pairs:
        assert int(response.headers["X-Rate-Limit-Limit"]) >= 1000
        assert int(response.headers["X-Rate-Limit-Remaining"]) >= 0
        assert response.headers["X-Rate-Limit-Reset"].endswith("T00:00:00Z")


def test_unsynced_company_reads_are_409(
    codat: httpx.Client, companies: list[SeededCompany]
) -> None:
    unsynced = companies[-1]
    assert not unsynced.synced
    response = codat.get(f"/companies/{unsynced.id}/data/bills")
    assert response.status_code == 409
    assert response.json()["error"] == "The data set has not been requested."
    assert codat.get(f"/companies/{unsynced.id}/data/info").status_code == 409
    status = codat.get(f"/companies/{unsynced.id}/dataStatus").json()
    assert status["bills"] == {"dataType": "bills", "currentStatus": "Initial"}


def test_bill_attachments_list_get_and_download(
    codat: httpx.Client, company: SeededCompany
) -> None:
    bills = codat.get(f"/companies/{company.id}/data/bills").json()["results"]
    base = f"/companies/{company.id}/connections/{company.connection_id}/data/bills"
    with_files = [
        b for b in bills if codat.get(f"{base}/{b['id']}/attachments").json()["attachments"]
    ]
    assert with_files
    bill = with_files[0]
    files = codat.get(f"{base}/{bill['id']}/attachments").json()["attachments"]
    one = codat.get(f"{base}/{bill['id']}/attachments/{files[0]['id']}").json()
    assert one["contentType"] == "application/pdf"
    download = codat.get(f"{base}/{bill['id']}/attachments/{files[0]['id']}/download")
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.content.startswith(b"%PDF")
    assert len(download.content) == one["fileSize"]


def test_money_is_written_with_two_decimal_places(
    codat: httpx.Client, company: SeededCompany
) -> None:
    raw = codat.get(f"/companies/{company.id}/data/bills", params={"pageSize": 1}).text
    assert '"totalAmount":' in raw
    amount = raw.split('"totalAmount":', 1)[1].split(",", 1)[0]
    assert len(amount.split(".")[1]) == 2
