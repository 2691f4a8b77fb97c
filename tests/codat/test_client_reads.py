"""Every read endpoint of the client against the sandbox, each request checked against the spec."""

from __future__ import annotations

from gateway.codat import CodatClient, OrderBy, datatypes, where
from gateway.codat.datatypes import BILLS, READABLE_DATA_TYPES
from gateway.codat.models import (
    Account,
    Bill,
    Company,
    CompanyInfo,
    Connection,
    ConnectionStatus,
    DataStatus,
    PullOperation,
    PullOperationStatus,
    PushOptionType,
    TrackingCategoryTree,
)
from tests.codat.conftest import ContractTransport, Sandbox
from tests.upstream import SeededCompany


async def test_companies_and_connections_are_listed_and_fetched(
    client: CodatClient, synced: SeededCompany
) -> None:
    companies = await client.list_companies(page_size=2, order_by=OrderBy.asc("name"))
    assert companies.total_results == 3
    assert len(companies.results) == 2
    assert companies.has_next
    assert all(isinstance(company, Company) for company in companies.results)

    company = await client.get_company(synced.id)
    assert company.id == synced.id
    assert synced.connection_id in {connection.id for connection in company.data_connections}

    connections = await client.list_connections(synced.id)
    assert [connection.id for connection in connections.results] == [synced.connection_id]
    connection = await client.get_connection(synced.id, synced.connection_id)
    assert isinstance(connection, Connection)
    assert connection.status is ConnectionStatus.Linked


async def test_company_info_and_data_status_are_read(
    client: CodatClient, synced: SeededCompany
) -> None:
    info = await client.get_company_info(synced.id)
    assert isinstance(info, CompanyInfo)
    assert info.company_name

    status = await client.get_data_status(synced.id)
    bills = status["bills"]
    assert isinstance(bills, DataStatus)
    assert bills.current_status is PullOperationStatus.Complete
    assert "chartOfAccounts" in status


async def test_every_readable_data_type_lists_and_fetches_by_id(
    client: CodatClient, synced: SeededCompany
) -> None:
    for entry in READABLE_DATA_TYPES.values():
        page = await client.list_records(entry, synced.id, page_size=100)
        assert page.total_results == synced.counts[entry.path]
        assert len(page.results) == page.total_results
        first = page.results[0]
        assert isinstance(first, entry.list_model)
        one = await client.get_record(entry, synced.id, first.id)
        assert isinstance(one, entry.get_model)
        assert one.id == first.id


async def test_named_methods_return_their_models(
    client: CodatClient, synced: SeededCompany
) -> None:
    bills = await client.list_records(
        datatypes.BILLS, synced.id, page_size=5, order_by=OrderBy.desc("issueDate")
    )
    bill = await client.get_bill(synced.id, bills.results[0].id)
    assert isinstance(bill, Bill)
    assert [b.issue_date for b in bills.results] == sorted(
        (b.issue_date for b in bills.results), reverse=True
    )
    payments = await client.list_records(datatypes.BILL_PAYMENTS, synced.id, page_size=1)
    assert (await client.get_bill_payment(synced.id, payments.results[0].id)).lines
    notes = await client.list_records(datatypes.BILL_CREDIT_NOTES, synced.id, page_size=1)
    assert (await client.get_bill_credit_note(synced.id, notes.results[0].id)).id
    suppliers = await client.list_records(datatypes.SUPPLIERS, synced.id, page_size=1)
    assert (await client.get_supplier(synced.id, suppliers.results[0].id)).id
    accounts = await client.list_records(datatypes.ACCOUNTS, synced.id, page_size=1)
    assert (await client.get_record(datatypes.ACCOUNTS, synced.id, accounts.results[0].id)).id
    methods = await client.list_records(datatypes.PAYMENT_METHODS, synced.id, page_size=1)
    assert (await client.get_record(datatypes.PAYMENT_METHODS, synced.id, methods.results[0].id)).id
    rates = await client.list_records(datatypes.TAX_RATES, synced.id, page_size=1)
    assert (await client.get_record(datatypes.TAX_RATES, synced.id, rates.results[0].id)).id


async def test_a_tracking_category_is_fetched_as_a_tree(
    client: CodatClient, synced: SeededCompany
) -> None:
    page = await client.list_records(
        datatypes.TRACKING_CATEGORIES, synced.id, query=where("hasChildren").eq(True)
    )
    assert page.results
    tree = await client.get_record(datatypes.TRACKING_CATEGORIES, synced.id, page.results[0].id)
    assert isinstance(tree, TrackingCategoryTree)
    assert tree.sub_categories
    assert all(child.parent_id == tree.id for child in tree.sub_categories)


async def test_bank_accounts_are_accounts_filtered_on_is_bank_account(
    client: CodatClient, synced: SeededCompany, contract: ContractTransport
) -> None:
    banks = await client.list_records(
        datatypes.ACCOUNTS, synced.id, query=where("isBankAccount").eq(True)
    )
    assert banks.total_results == 3
    assert all(isinstance(a, Account) and a.is_bank_account for a in banks.results)

    currency = banks.results[0].currency
    assert currency is not None
    narrowed = await client.list_records(
        datatypes.ACCOUNTS,
        synced.id,
        query=where("isBankAccount").eq(True) & where("currency").eq(currency),
    )
    assert {a.id for a in narrowed.results} <= {a.id for a in banks.results}
    assert contract.requests[-1].url.params["query"] == f"isBankAccount=true&&currency={currency}"


async def test_paging_walks_every_page_fetching_only_what_is_consumed(
    client: CodatClient, synced: SeededCompany, sandbox: Sandbox
) -> None:
    await sandbox.clear_requests()
    ids = [bill.id async for bill in client.iter_records(BILLS, synced.id, page_size=7)]
    assert len(ids) == len(set(ids)) == synced.counts["bills"]
    pages = [r for r in await sandbox.requests() if r["path"].endswith("/data/bills")]
    assert sorted(int(r["params"]["page"]) for r in pages) == list(range(1, 7))

    await sandbox.clear_requests()
    taken = 0
    async for _ in client.iter_records(BILLS, synced.id, page_size=7):
        taken += 1
        if taken == 8:
            break
    assert len(await sandbox.requests()) == 2


async def test_filters_reach_codat_and_narrow_the_results(
    client: CodatClient, synced: SeededCompany
) -> None:
    open_bills = await client.list_records(
        datatypes.BILLS,
        synced.id,
        query=where("amountDue").gt(0) & where("metadata.isDeleted").ne(True),
    )
    assert open_bills.results
    assert all(bill.amount_due and bill.amount_due > 0 for bill in open_bills.results)


async def test_push_history_options_and_refreshes_are_read(
    client: CodatClient, synced: SeededCompany
) -> None:
    history = await client.list_push_operations(synced.id)
    assert history.total_results >= 0

    options = await client.get_push_options(synced.id, synced.connection_id, "bills")
    assert options.type is PushOptionType.Object
    assert options.properties

    pull = await client.refresh_data_type(synced.id, "suppliers", synced.connection_id)
    assert isinstance(pull, PullOperation)
    assert pull.data_type == "suppliers"
    assert (await client.get_pull_operation(synced.id, pull.id)).id == pull.id
    await client.refresh_all(synced.id)


async def test_bill_attachments_are_listed_fetched_downloaded_and_uploaded(
    client: CodatClient, synced: SeededCompany, contract: ContractTransport
) -> None:
    bills = await client.list_records(datatypes.BILLS, synced.id, page_size=100)
    attachments = []
    bill_id = ""
    for bill in bills.results:
        attachments = await client.list_bill_attachments(synced.id, synced.connection_id, bill.id)
        if attachments:
            bill_id = bill.id
            break
    assert attachments
    first = attachments[0]
    fetched = await client.get_bill_attachment(synced.id, synced.connection_id, bill_id, first.id)
    assert fetched == first
    content = await client.download_bill_attachment(
        synced.id, synced.connection_id, bill_id, first.id
    )
    assert content
    if first.file_size is not None:
        assert len(content) == first.file_size

    await client.upload_bill_attachment(
        synced.id,
        synced.connection_id,
        bill_id,
        filename="receipt.pdf",
        content=b"%PDF-1.4 test",
        content_type="application/pdf",
    )
    upload = contract.requests[-1]
    assert upload.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="file"; filename="receipt.pdf"' in upload.content
    assert b"%PDF-1.4 test" in upload.content


async def test_rate_limit_headers_are_recorded(client: CodatClient) -> None:
    await client.list_companies()
    assert client.rate_limit.limit is not None
    assert client.rate_limit.remaining is not None
    assert client.rate_limit.reset
    assert client.stats.requests == 1
