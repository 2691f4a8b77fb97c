// The accounts-payable dashboard: plain JavaScript against the gateway's GraphQL API, no build.
// Served by the gateway in development (GATEWAY_AUTH=off) at /examples/ap-dashboard/.

const HTTP_URL = new URL("/graphql", window.location.href).toString();
const WS_URL = HTTP_URL.replace(/^http/, "ws");
const DONE = new Set(["Success", "Failed", "TimedOut"]);

const COMPANIES = `query Companies { companies(first: 20) { nodes { id name } } }`;
const BILLS = `
query OpenBills($company: ID!) {
  company(id: $company) {
    bankAccounts(first: 50) { nodes { id name currency } }
    bills(first: 50, filter: {status: [Open, PartiallyPaid]}, orderBy: {field: DUE_DATE, direction: ASC}) {
      totalCount
      nodes { id codatId reference dueDate currency amountDue supplier { supplierName } }
    }
  }
}`;
const PAY_BILLS = `
mutation PayBills($input: PayBillsInput!) {
  payBills(input: $input) {
    idempotencyKey replayed
    errors { code message }
    results { billId pushOperation { pushOperationKey status } errors { code message } }
  }
}`;
const PUSH_OPERATION = `
subscription Push($company: ID!, $key: String!) {
  pushOperation(companyId: $company, key: $key) { pushOperationKey status syncState errorMessage }
}`;

const $ = (selector) => document.querySelector(selector);
const state = { company: null, bills: [], accounts: [], rows: new Map() };

async function graphql(query, variables = {}) {
  const response = await fetch(HTTP_URL, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/graphql-response+json, application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors && body.errors.length) {
    const error = body.errors[0];
    throw new Error(`${error.extensions?.code ?? "ERROR"}: ${error.message}`);
  }
  return body.data;
}

// graphql-transport-ws: one socket, one subscription per push operation.
class Subscriptions {
  constructor(url) {
    this.url = url;
    this.next = 1;
    this.handlers = new Map();
    this.ready = this.open();
  }
  open() {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.url, "graphql-transport-ws");
      socket.onopen = () => socket.send(JSON.stringify({ type: "connection_init", payload: {} }));
      socket.onmessage = (event) => {
        const message = JSON.parse(event.data);
        if (message.type === "connection_ack") {
          $("#connection").textContent = "live updates on";
          resolve(socket);
        } else if (message.type === "ping") {
          socket.send(JSON.stringify({ type: "pong" }));
        } else if (this.handlers.has(message.id)) {
          this.handlers.get(message.id)(message);
        }
      };
      socket.onclose = (event) => {
        $("#connection").textContent = `live updates off (${event.code})`;
        reject(new Error(`socket closed: ${event.code} ${event.reason}`));
      };
    });
  }
  async subscribe(query, variables, onData) {
    const socket = await this.ready;
    const id = String(this.next++);
    this.handlers.set(id, (message) => {
      if (message.type === "next") onData(message.payload);
      if (message.type === "error") onData({ errors: message.payload });
      if (message.type === "complete" || message.type === "error") this.handlers.delete(id);
    });
    socket.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables } }));
  }
}

const subscriptions = new Subscriptions(WS_URL);

function money(amount, currency) {
  return new Intl.NumberFormat("en-GB", { style: "currency", currency }).format(Number(amount));
}

function showStatus(billId, status, title = "") {
  const cell = state.rows.get(billId)?.querySelector(".payment");
  if (!cell) return;
  cell.innerHTML = "";
  const badge = document.createElement("span");
  badge.className = `status ${status}`;
  badge.textContent = status;
  badge.title = title;
  cell.append(badge);
}

function renderBills() {
  const body = $("#bills tbody");
  body.innerHTML = "";
  state.rows.clear();
  const today = new Date().toISOString().slice(0, 10);
  for (const bill of state.bills) {
    const row = document.createElement("tr");
    row.dataset.bill = bill.id;
    const due = (bill.dueDate ?? "").slice(0, 10);
    row.innerHTML = `
      <td><input type="checkbox" class="pick" aria-label="Select ${bill.reference ?? bill.codatId}" /></td>
      <td class="supplier"></td><td class="reference"></td>
      <td class="due ${due && due < today ? "overdue" : ""}">${due}</td>
      <td class="amount">${money(bill.amountDue, bill.currency)}</td>
      <td class="payment"></td>`;
    row.querySelector(".supplier").textContent = bill.supplier?.supplierName ?? "—";
    row.querySelector(".reference").textContent = bill.reference ?? bill.codatId;
    body.append(row);
    state.rows.set(bill.id, row);
  }
  $("#summary").textContent = `${state.bills.length} shown`;
  updatePayButton();
}

function selectedBills() {
  return state.bills.filter((bill) => state.rows.get(bill.id)?.querySelector(".pick").checked);
}

function updatePayButton() {
  $("#pay").disabled = selectedBills().length === 0;
}

async function loadBills() {
  $("#message").textContent = "";
  const data = await graphql(BILLS, { company: state.company });
  state.accounts = data.company.bankAccounts.nodes;
  state.bills = data.company.bills.nodes;
  renderBills();
}

function follow(billId, key) {
  subscriptions.subscribe(PUSH_OPERATION, { company: state.company, key }, (payload) => {
    if (payload.errors) {
      showStatus(billId, "Failed", payload.errors[0].message);
      return;
    }
    const push = payload.data.pushOperation;
    // After Success, Codat has the payment but its cache shows it only once the gateway's
    // refresh lands: "Synced" means the bill now reads back paid from Codat.
    const shown =
      push.syncState === "UP_TO_DATE" ? "Synced"
      : push.syncState === "REFRESH_FAILED" ? "RefreshFailed"
      : push.status;
    showStatus(billId, shown, push.errorMessage ?? "");
    if (DONE.has(push.status)) state.rows.get(billId)?.querySelector(".pick").setAttribute("disabled", "");
  });
}

async function paySelected() {
  const chosen = selectedBills();
  const date = $("#date").value;
  // One payBills per currency, each from a bank account in that currency. The idempotency key is
  // made once per click, so a retry of the same request can never pay twice.
  const key = crypto.randomUUID();
  const byCurrency = Map.groupBy(chosen, (bill) => bill.currency);
  $("#pay").disabled = true;
  for (const [currency, bills] of byCurrency) {
    const account = state.accounts.find((candidate) => candidate.currency === currency);
    if (!account) {
      for (const bill of bills) showStatus(bill.id, "Refused", `no ${currency} bank account`);
      continue;
    }
    for (const bill of bills) showStatus(bill.id, "Sending");
    const input = {
      companyId: state.company,
      bills: bills.map((bill) => ({ billId: bill.id })),
      accountId: account.id,
      date,
      grouping: "ONE_PAYMENT_PER_BILL",
      idempotencyKey: `${key}-${currency}`,
    };
    try {
      const { payBills } = await graphql(PAY_BILLS, { input });
      if (payBills.errors.length) throw new Error(payBills.errors[0].message);
      for (const result of payBills.results) {
        const bill = bills.find((one) => one.codatId === result.billId || one.id === result.billId);
        if (!bill) continue;
        const billId = bill.id;
        if (result.errors.length || !result.pushOperation) {
          showStatus(billId, "Refused", result.errors[0]?.message ?? "not sent");
          continue;
        }
        showStatus(billId, result.pushOperation.status);
        follow(billId, result.pushOperation.pushOperationKey);
      }
    } catch (error) {
      $("#message").textContent = String(error.message ?? error);
      for (const bill of bills) showStatus(bill.id, "Failed", String(error));
    }
  }
}

async function start() {
  $("#date").value = new Date().toISOString().slice(0, 10);
  const { companies } = await graphql(COMPANIES);
  const select = $("#company");
  for (const company of companies.nodes) select.append(new Option(company.name, company.id));
  state.company = select.value;
  select.addEventListener("change", () => {
    state.company = select.value;
    loadBills().catch(report);
  });
  $("#bills").addEventListener("change", (event) => {
    if (event.target.id === "all") {
      for (const row of state.rows.values()) row.querySelector(".pick").checked = event.target.checked;
    }
    updatePayButton();
  });
  $("#pay").addEventListener("click", () => paySelected().catch(report));
  await loadBills();
  document.body.dataset.ready = "true";
}

function report(error) {
  $("#message").textContent = String(error.message ?? error);
}

start().catch(report);
