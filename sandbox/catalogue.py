"""Names and reference values the seed draws from: companies, suppliers, accounts, taxes."""

from __future__ import annotations

from decimal import Decimal

BASE_CURRENCY = "GBP"
# currencyRate on a foreign-currency record: units of that currency per unit of the base (GBP).
RATES = {"USD": Decimal("1.2675"), "EUR": Decimal("1.1634")}

COMPANY_NAMES = [
    ("Toft Stores", "Retail chain, Yorkshire"),
    ("Hartley & Finch Engineering", "Precision engineering"),
    ("Bluebell Bakery Ltd", "Wholesale bakery"),
    ("Northwind Logistics", "Freight and warehousing"),
    ("Copperleaf Studios", "Design agency"),
    ("Greystone Dental Group", "Dental practices"),
    ("Marlow Brewing Co", "Craft brewery"),
    ("Ashcombe Veterinary", "Veterinary clinics"),
]
PLATFORMS = [("Xero", "gbol"), ("QuickBooks Online", "qhyg"), ("Sage Business Cloud", "tgff")]
SUPPLIER_FIRST = [
    "Acme", "Brightwater", "Castle", "Dovetail", "Evergreen", "Falcon", "Granite", "Harbour",
    "Ironbridge", "Juniper", "Kestrel", "Lakeside", "Meridian", "Northgate", "Oakridge", "Pennine",
    "Quayside", "Riverside", "Summit", "Thistle", "Union", "Vale", "Westfield", "Yardley",
]  # fmt: skip
SUPPLIER_SECOND = [
    "Office Supplies", "Cleaning Services", "Print & Design", "IT Solutions", "Electrical",
    "Catering", "Couriers", "Packaging", "Legal LLP", "Accountancy", "Telecoms", "Facilities",
    "Software", "Insurance Brokers", "Plumbing", "Security", "Marketing", "Recruitment",
]  # fmt: skip
SURNAMES = ["Patel", "Smith", "Jones", "Okafor", "Wright", "Li"]
SUFFIXES = ["Ltd", "Ltd", "LLP", "plc", "Inc", "GmbH"]
CITIES = [
    ("London", "Greater London", "EC1A 1BB", "United Kingdom"),
    ("Leeds", "West Yorkshire", "LS1 4DY", "United Kingdom"),
    ("Manchester", "Greater Manchester", "M1 1AE", "United Kingdom"),
    ("Bristol", "Bristol", "BS1 5TR", "United Kingdom"),
    ("Edinburgh", "Midlothian", "EH1 1YZ", "United Kingdom"),
    ("New York", "NY", "10001", "United States"),
    ("Dublin", "Leinster", "D02 XY45", "Ireland"),
    ("Berlin", "Berlin", "10115", "Germany"),
]
STREETS = [
    "High Street",
    "Station Road",
    "Mill Lane",
    "Church Street",
    "Victoria Road",
    "Park Row",
]
EXPENSES = [
    ("Office Supplies", "7500"), ("Rent", "7100"), ("Utilities", "7200"), ("Travel", "7400"),
    ("Software Subscriptions", "7600"), ("Professional Fees", "7600"), ("Marketing", "6100"),
    ("Equipment", "0030"), ("Telephone & Internet", "7550"), ("Insurance", "7750"),
    ("Repairs and Maintenance", "7800"), ("Cost of Goods Sold", "5000"), ("Subcontractors", "5100"),
    ("Training", "7900"), ("Cleaning", "7810"), ("Postage", "7501"),
]  # fmt: skip
BANKS = [
    ("Business Current Account", "GBP"), ("USD Trading Account", "USD"),
    ("EUR Trading Account", "EUR"), ("Business Savings", "GBP"), ("Corporate Card", "GBP"),
]  # fmt: skip
TAX_RATES = [
    ("Standard 20%", "20.00", "S"), ("Reduced 5%", "5.00", "R"), ("Zero Rated", "0.00", "Z"),
    ("Exempt", "0.00", "E"), ("No VAT", "0.00", "N"), ("Reverse Charge 20%", "20.00", "RC"),
]  # fmt: skip
TRACKING = [
    ("Department", ["Sales", "Engineering", "Operations", "Finance"]),
    ("Region", ["North", "South", "Scotland"]),
    ("Project", ["Website Relaunch", "Warehouse Fit-out"]),
]
PAYMENT_METHODS = [
    ("Bank Transfer", "BankTransfer"), ("Cheque", "Check"), ("Company Credit Card", "CreditCard"),
    ("Petty Cash", "Cash"), ("Debit Card", "DebitCard"), ("Direct Debit", "Other"),
]  # fmt: skip
ITEMS = [
    "Printer paper (boxes)", "Toner cartridges", "Monthly cleaning contract", "Courier deliveries",
    "Laptop", "Consultancy (days)", "Catering for staff event", "Broadband (monthly)",
    "Office rent (quarter)", "Electricity", "Software licences", "Shipping boxes",
    "Legal review", "Annual insurance premium", "Boiler service", "Design work (hours)",
]  # fmt: skip


# The first bills of every company cover every state and currency, whatever the seed rolls.
FIRST_BILLS = [
    ("Open", "GBP"), ("PartiallyPaid", "GBP"), ("Paid", "GBP"), ("Void", "GBP"), ("Draft", "GBP"),
    ("Open", "USD"), ("Open", "EUR"), ("PartiallyPaid", "USD"), ("Paid", "EUR"), ("Open", "GBP"),
]  # fmt: skip
