"""The demo's static content, taken from the two seed documents.

Plain constants only; :mod:`engage.demo.loader` turns them into rows. Dates are never
written here: every date is an offset in days from the ``today`` the demo is loaded for.
Quotes come from the engagement study (English) and the insurer's ESG investment policy
(Dutch). The organisations and people are invented; the companies are real, but every
rating, milestone, meeting and vote about them is demo material, not a fact.
"""

from __future__ import annotations

# --- organisations and their people --------------------------------------------------------
# slug, name, kind, assets under management in EUR, e-mail domain
ORGANISATIONS = [
    ("groenbank", "Groenbank N.V.", "bank", 21_500_000_000, "groenbank.example"),
    ("scheldezeker", "Scheldezeker Verzekeringen U.A.", "insurer", 1_350_000_000,
     "scheldezeker.example"),
    ("pf-vakmensen", "Stichting Pensioenfonds Vakmensen", "pension_fund", 46_000_000_000,
     "pfvakmensen.example"),
    ("lindeboom", "Lindeboom Asset Management B.V.", "asset_manager", 118_000_000_000,
     "lindeboom-am.example"),
    ("amstelhof", "Amstelhof Fiduciair Beheer B.V.", "service_provider", 84_000_000_000,
     "amstelhof.example"),
    ("tallskog", "Tallskog Pension AB", "asset_owner", 39_000_000_000, "tallskog.example"),
]

# organisation slug, e-mail local part, name, role, locale
USERS = [
    ("groenbank", "anna.devries", "Anna de Vries", "admin", "nl"),
    ("groenbank", "joost.bakker", "Joost Bakker", "member", "nl"),
    ("groenbank", "fatima.elamrani", "Fatima El Amrani", "member", "nl"),
    ("groenbank", "pieter.jansen", "Pieter Jansen", "viewer", "nl"),
    ("scheldezeker", "marieke.verhulst", "Marieke Verhulst", "admin", "nl"),
    ("scheldezeker", "johan.dekok", "Johan de Kok", "member", "nl"),
    ("scheldezeker", "els.minderhoud", "Els Minderhoud", "viewer", "nl"),
    ("pf-vakmensen", "sanne.visser", "Sanne Visser", "admin", "nl"),
    ("pf-vakmensen", "ruben.mulder", "Ruben Mulder", "member", "nl"),
    ("pf-vakmensen", "henk.smit", "Henk Smit", "viewer", "nl"),
    ("lindeboom", "thomas.hendriks", "Thomas Hendriks", "admin", "en"),
    ("lindeboom", "lotte.vandijk", "Lotte van Dijk", "member", "en"),
    ("lindeboom", "daan.meijer", "Daan Meijer", "viewer", "en"),
    ("amstelhof", "ingrid.koster", "Ingrid Koster", "admin", "nl"),
    ("amstelhof", "bram.degraaf", "Bram de Graaf", "member", "nl"),
    ("amstelhof", "noor.yilmaz", "Noor Yilmaz", "member", "en"),
    ("amstelhof", "willem.bos", "Willem Bos", "viewer", "nl"),
    ("tallskog", "karin.lindqvist", "Karin Lindqvist", "admin", "en"),
    ("tallskog", "erik.johansson", "Erik Johansson", "member", "en"),
    ("tallskog", "sofia.bergstrom", "Sofia Bergström", "viewer", "en"),
]

# The fiduciary manager keeps the exclusion list ("De lijst van uitsluitingen wordt door de
# fiduciair manager actief onderhouden", section 8.2): its admins import the company register
# (ENGAGE_REGISTER_ORGS, when the environment does not set it).
REGISTER_ORGS = ("amstelhof",)

# --- the insurer's exclusion list (Bijlage 4; rows in data/exclusion-list-2020.csv) ----------
EXCLUSION_LIST_FILE = ("data", "exclusion-list-2020.csv")
EXCLUDED_ON = (2020, 12, 31)  # "Bijlage 4 van dit document bevat het overzicht per ultimo 2020"

# Section 8.2 of the policy: the criterion and "Reden uitsluiting", per category.
EXCLUSION_REASONS = {
    "controversial_weapons": (
        "Controversiële wapens (clusterbommen, landmijnen, nucleaire wapens, biologische en "
        "chemische wapens). Reden: \"In strijd met internationale verdragen en conventies. "
        "Wettelijk verplicht (clusterbommen, strikte toepassing hiervan).\""),
    "tobacco": (
        "Productie, toelevering, distributie en/of verkoop van tabak en tabak gerelateerde "
        "producten. Reden: \"Brengt ernstige schade toe aan de gezondheid, geen veilige mate "
        "van gebruik, dialoog is zinloos. In strijd met het UNGC (en breder het UN-systeem).\""),
    "ungc_oecd_violation": (
        "Materiële en structurele schending van de UNGC-principes of OESO-richtlijnen. "
        "Reden: \"Ondernemingen die deze principes ernstig en structureel schenden passen "
        "niet bij de uitgangspunten van het fonds.\""),
    "thermal_coal": (
        "Productie van kolen (kolenmijnbouw). Reden: \"Kolen zijn een van de meest "
        "CO2e-intensieve vormen van energieproductie en voorkomen het behalen van de "
        "klimaatdoelstelling.\""),
}

EXCLUDED_SECTOR_BY_CATEGORY = {
    "tobacco": "Tobacco",
    "controversial_weapons": "Aerospace & Defense",
    "ungc_oecd_violation": "Metals & Mining",
    "thermal_coal": "Coal & Consumable Fuels",
}
_RETAIL = "Food & Staples Retailing"
EXCLUDED_SECTOR_OVERRIDES = {
    "Lawson, Inc.": _RETAIL, "Seven & i Holdings Co., Ltd.": _RETAIL, "TESCO PLC": _RETAIL,
    "ALIMENTATION COUCHE-TARD INC.": _RETAIL, "X5 RETAIL GROUP NV": _RETAIL,
    "WALMART INC.": _RETAIL, "Bayer Aktiengesellschaft": "Pharmaceuticals",
    "PG&E CORPORATION": "Utilities", "Porsche Automobil Holding SE": "Automobiles",
    "Volkswagen Aktiengesellschaft": "Automobiles", "JBS S.A.": "Food Products",
    "TIGER BRANDS LIMITED": "Food Products",
    "ROYAL DUTCH SHELL PLC": "Oil, Gas & Consumable Fuels",
    "Petroleo Brasileiro S.A. (Petrobras)": "Oil, Gas & Consumable Fuels",
    "Tokyo Electric Power Company Holdings, Incorporated": "Utilities",
    "WELLS FARGO & COMPANY": "Banks", "ATLANTIA S.P.A.": "Transportation Infrastructure",
    "L&T FINANCE HOLDINGS LIMITED": "Diversified Financials",
    "L&T INFRASTRUCTURE FINANCE COMPANY LIMITED": "Diversified Financials",
    "L&T TECHNOLOGY SERVICES LIMITED": "IT Services", "Larsen & Toubro Infotech Ltd": "IT Services",
    "LARSEN AND TOUBRO LIMITED": "Construction & Engineering",
    "FLUOR CORPORATION": "Construction & Engineering",
    "Hanwha Engineering & Construction Corp.": "Construction & Engineering",
    "NABHA POWER LIMITED": "Utilities", "SERCO GROUP PLC": "Commercial Services",
    "PT United Tractors Tbk": "Machinery", "TBEA Co Ltd. Class A": "Electrical Equipment",
    "Washington H. Soul Pattinson and Company Ltd": "Diversified Financials",
}
# Demo ratings for the excluded companies that appear in demo holdings: (rating, days ago)
EXCLUDED_RATINGS = {
    "Altria Group, Inc.": ("B", 140), "COAL INDIA LTD": ("CCC", 95),
    "Volkswagen Aktiengesellschaft": ("B", 60), "WALMART INC.": ("BBB", 120),
}

# --- the companies of the initiatives (real names; ratings are demo values) -----------------
# key, name, ISIN, LEI, country, sector, rating, rated days ago, controversies
_APPAREL = "Textiles, Apparel & Luxury Goods"
_RESTAURANTS = "Hotels, Restaurants & Leisure"
_HARDWARE = "Technology Hardware"
_LW = "Wages below a living wage at supplier factories; purchasing practices under scrutiny."
_CO = "Cobalt in batteries: artisanal mining in the DRC, child labour risk in the supply chain."
_MEAT = ("Meat supply chain: GHG emissions and water; health and safety of workers in "
         "meat-processing plants.")
COMPANIES = [
    ("inditex", "Industria de Diseño Textil, S.A. (Inditex)", "ES0148396007", None, "ES",
     _APPAREL, "AA", 80, _LW),
    ("hm", "H & M Hennes & Mauritz AB", "SE0000106270", None, "SE", _APPAREL, "A", 75, _LW),
    ("adidas", "adidas AG", "DE000A1EWWW0", None, "DE", _APPAREL, "AA", 70, _LW),
    ("puma", "PUMA SE", "DE0006969603", None, "DE", _APPAREL, "AA", 110, _LW),
    ("nike", "NIKE, Inc.", "US6541061031", None, "US", _APPAREL, "BBB", 65, _LW),
    ("fastretailing", "Fast Retailing Co., Ltd.", "JP3802300008", None, "JP", _APPAREL, "A", 90,
     _LW),
    ("kering", "Kering SA", "FR0000121485", None, "FR", _APPAREL, "AAA", 130, _LW),
    ("hugoboss", "HUGO BOSS AG", "DE000A1PHFF7", None, "DE", _APPAREL, "AA", 100, _LW),
    ("zalando", "Zalando SE", "DE000ZAL1111", None, "DE", "Internet & Direct Marketing Retail",
     "A", 55, _LW),
    ("next", "Next plc", "GB0032089863", None, "GB", "Multiline Retail", "A", 150, _LW),
    ("mands", "Marks and Spencer Group plc", "GB0031274896", None, "GB", "Multiline Retail",
     "AA", 85, _LW),
    ("abf", "Associated British Foods plc (Primark)", "GB0006731235", None, "GB",
     "Food Products / Apparel Retail", "BBB", 45, _LW),
    ("pvh", "PVH Corp.", "US6936561009", None, "US", _APPAREL, "A", 120, _LW),
    ("vf", "V.F. Corporation", "US9182041080", None, "US", _APPAREL, "AA", 95, _LW),
    ("gap", "The Gap, Inc.", "US3647601083", None, "US", "Specialty Retail", "BBB", 60, _LW),
    ("apple", "Apple Inc.", "US0378331005", "HWUPKR0MPOU8FGXBT394", "US", _HARDWARE, "A", 50,
     _CO),
    ("microsoft", "Microsoft Corporation", "US5949181045", None, "US", "Software", "AAA", 70, _CO),
    ("mercedes", "Mercedes-Benz Group AG (formerly Daimler AG)", "DE0007100000", None, "DE",
     "Automobiles", "A", 100, _CO),
    ("bmw", "Bayerische Motoren Werke AG", "DE0005190003", None, "DE", "Automobiles", "A", 85,
     _CO),
    ("tesla", "Tesla, Inc.", "US88160R1014", None, "US", "Automobiles", "BB", 40, _CO),
    ("samsung", "Samsung Electronics Co., Ltd.", "KR7005930003", None, "KR", _HARDWARE, "BBB",
     115, _CO),
    ("panasonic", "Panasonic Holdings Corporation", "JP3866800000", None, "JP",
     "Household Durables", "A", 130, _CO),
    ("lgchem", "LG Chem, Ltd.", "KR7051910008", None, "KR", "Chemicals", "BBB", 90, _CO),
    ("mcdonalds", "McDonald's Corporation", "US5801351017", None, "US", _RESTAURANTS, "BBB", 60,
     _MEAT),
    ("rbi", "Restaurant Brands International Inc.", "CA76131D1033", None, "CA", _RESTAURANTS,
     "BB", 75, _MEAT),
    ("yum", "Yum! Brands, Inc.", "US9884981013", None, "US", _RESTAURANTS, "BBB", 90, _MEAT),
    ("dominos", "Domino's Pizza, Inc.", "US25754A2015", None, "US", _RESTAURANTS, "B", 105, _MEAT),
    ("wendys", "The Wendy's Company", "US95058W1009", None, "US", _RESTAURANTS, "BB", 80, _MEAT),
    ("chipotle", "Chipotle Mexican Grill, Inc.", "US1696561059", None, "US", _RESTAURANTS, "BBB",
     65, _MEAT),
    ("posco", "POSCO C&C Co., Ltd.", None, None, "KR", "Steel", "CCC", 30,
     "Joint venture in Myanmar with Myanmar Economic Holdings Limited (MEHL), a company "
     "controlled by the Myanmar military."),
    ("nestle", "Nestlé S.A.", "CH0038863350", None, "CH", "Food Products", "AA", 70,
     "Child labour in the cocoa supply chain in Côte d'Ivoire and Ghana."),
    ("glencore", "Glencore plc", "JE00B4T3BW64", None, "CH", "Metals & Mining", "BB", 55,
     "Copper and cobalt mining in the DRC: impacts on communities and artisanal miners."),
]
# Excluded companies (by their name on the list) that the demo engages with.
COMPANY_ALIASES = {"vw": "Volkswagen Aktiengesellschaft"}
EXCLUDED_CONTROVERSIES = {"Volkswagen Aktiengesellschaft": _CO}

# --- initiatives -------------------------------------------------------------------------------
ANNEX_II = ("Annex II of the study: collaboration needs \"good preparation, common and specified "
            "goals, committed resources and a clear common escalation strategy\".")
INITIATIVES = {
    "living_wage": dict(
        title="Living wage in garment supply chains", theme="Living wage", status="active",
        coordinator="groenbank", started_days_ago=900, short="Living wage",
        description=(
            "Modelled on the Platform Living Wage Financials (Box 6 of the study): \"The PLWF "
            "is an alliance of 15 financial institutions with over EUR 2,6 trillion of assets "
            "under management. The initiative started as a bottom-up initiative, meaning that "
            "it started as a small group that did not rely on the strength of numbers, but "
            "rather focused on the goals to achieve and opened it up for other financial "
            "institutions to join.\""),
        common_goals=(
            "\"The initiative's aim is to achieve a living wage in global supply chains of the "
            "investee companies. It does so by using a methodology that closely follows the UN "
            "Guiding Principles Reporting Framework.\"\n\nSpecified goals per company: (1) a "
            "board-owned commitment to a living wage; (2) living wage benchmarks and the wage "
            "gap disclosed per sourcing country; (3) purchasing practices that ring-fence labour "
            "costs; (4) verified progress in wages paid at tier-1 and tier-2 suppliers."),
        preparation=(
            "\"It is conducting its own research on living wages and has been monitoring garment "
            "companies since 2017. An accountancy company has supported the initiative with "
            "drafting the methodology. The methodology is adapted over time to new standards "
            "and expectations in order to nudge companies to continuously improve.\" Each lead "
            "assesses its companies on annual reports and websites before the first meeting. "
            + ANNEX_II),
        issue=(
            "Wages paid to workers in the company's supplier factories are below a living wage; "
            "the company's purchasing practices (prices, lead times) make it harder for "
            "suppliers to pay one."),
        rights_holders=(
            "Garment workers, predominantly women, at tier-1 and tier-2 suppliers in Bangladesh, "
            "Cambodia, India, Turkey and Vietnam, and their families."),
        severity=(3, 4, 2), trigger="proactive",
        members=[
            ("groenbank", "lead", "admitted", "Two human rights analysts (0.8 FTE); chairs the "
             "monthly coalition call and keeps the assessment methodology.", 4_200_000_000, ""),
            ("pf-vakmensen", "co_lead", "admitted", "One analyst (0.5 FTE); leads five company "
             "dialogues.", 6_000_000_000, ""),
            ("lindeboom", "supporter", "admitted", "Co-signs letters; leads three dialogues.",
             9_500_000_000, "Lindeboom's European equity fund holds a top-10 position in "
             "Inditex; its portfolio manager takes no part in decisions on that engagement."),
            ("amstelhof", "supporter", "admitted", "Co-signs letters on behalf of its fiduciary "
             "clients; votes in line with the common escalation strategy.", 2_100_000_000, ""),
            ("tallskog", "observer", "admitted", "Follows the dialogues; no resources committed "
             "yet.", None, ""),
        ],
    ),
    "cobalt": dict(
        title="Responsible cobalt sourcing", theme="Minerals supply chains", status="active",
        coordinator="tallskog", started_days_ago=1500, short="Cobalt",
        description=(
            "After the case in Table 2 of the study: \"Since 2016, the Council on Ethics has "
            "been part of an initiative together with other investors and the PRI that engages "
            "in dialogue with around 15 companies in the electronics and automotive industries, "
            "for instance Apple, Microsoft, Daimler, and Volkswagen, with the aim of promoting "
            "an improved, more responsible extraction of cobalt. The extraction of cobalt is "
            "often connected to severe human rights risks such poor working conditions and "
            "child labour.\""),
        common_goals=(
            "Improve \"the companies' understanding of and transparency about their supply "
            "chains\". Specified goals: map the cobalt supply chain to smelter and refiner "
            "level and publish it; source only from smelters and refiners audited against the "
            "OECD due diligence guidance for minerals; remediate child labour found at "
            "artisanal mine sites; support the formalisation of artisanal mining."),
        preparation=(
            "Prior research per company (CSR reports, the Business & Human Rights Resource "
            "Centre dashboards, KnowTheChain) and a consultation of organisations that work "
            "with artisanal mining communities in the DRC before the first letter. " + ANNEX_II),
        issue=(
            "Cobalt in the company's batteries may come from artisanal mines in the DRC where "
            "children work and working conditions are dangerous."),
        rights_holders=(
            "Artisanal miners and their children in the Lualaba and Haut-Katanga provinces of "
            "the DRC; workers at smelters and refiners."),
        severity=(5, 3, 4), trigger="proactive",
        members=[
            ("tallskog", "lead", "admitted", "Engagement team of three; hosts the coalition's "
             "supply chain research.", 5_000_000_000, ""),
            ("lindeboom", "co_lead", "admitted", "One analyst (0.5 FTE) for the automotive "
             "companies.", 7_800_000_000, ""),
            ("groenbank", "supporter", "admitted", "Co-signs letters; joins meetings with the "
             "electronics companies.", 1_900_000_000, ""),
            ("pf-vakmensen", "supporter", "admitted", "Co-signs letters; votes.", 3_300_000_000,
             ""),
            ("amstelhof", "supporter", "admitted", "Co-signs letters on behalf of fiduciary "
             "clients.", 2_400_000_000, "Amstelhof also advises a client that holds Glencore "
             "bonds; declared to the coordinator."),
        ],
    ),
    "meat": dict(
        title="Meat sourcing and labour conditions", theme="Meat supply chains",
        status="recruiting", coordinator="lindeboom", started_days_ago=420, short="Meat sourcing",
        description=(
            "Builds on the case in Table 2 of the study: \"In 2019, the collaboratively led "
            "Global Investor Engagement on Meat Sourcing with over USD 11 trillion in combined "
            "assets engaged with six of the largest quick-service restaurants (QSR) on the urge "
            "to analyse and reduce their potential impact on climate change, water scarcity, "
            "and threats to water quality driven by animal protein production.\" This coalition "
            "adds the S: the health, safety, wages and freedom of association of the workers in "
            "the meat-processing plants that supply the same six companies."),
        common_goals=(
            "Each company sets global GHG reduction targets for its meat supply chain approved "
            "by the Science-Based Targets initiative (\"Every company has now issued a public "
            "statement that they have or will set global GHG reduction targets.\"), and adopts "
            "and monitors supplier requirements on worker health and safety, wages and freedom "
            "of association in meat processing."),
        preparation=(
            "Recruiting: members commit analyst time and declare conflicts of interest before "
            "admission. " + ANNEX_II),
        issue=(
            "Workers in the meat-processing plants supplying the company face high injury rates, "
            "outbreaks of infectious disease and obstacles to organising; the supply chain drives "
            "GHG emissions and water pollution."),
        rights_holders=(
            "Workers in meat-processing plants (many of them migrant workers) and communities "
            "living near livestock operations."),
        severity=(3, 3, 3), trigger="proactive",
        members=[
            ("lindeboom", "lead", "admitted", "Two analysts; coordinates the six dialogues.",
             11_000_000_000, ""),
            ("amstelhof", "co_lead", "admitted", "One engagement specialist (0.6 FTE).",
             3_000_000_000, ""),
            ("pf-vakmensen", "supporter", "admitted", "Co-signs letters; votes.", 2_700_000_000,
             ""),
            ("groenbank", "observer", "admitted", "Follows the dialogues.", None, ""),
            # The application the coordinator finds waiting. Tallskog is no member yet: in the
            # README's walkthrough its people (who read English) sign on, and Lindeboom admits.
            ("scheldezeker", "observer", "pending", "Geen eigen capaciteit: volgt het initiatief "
             "via de fiduciair manager en de kwartaalrapportage.", None, ""),
        ],
    ),
}

# --- escalation ladders: the study's escalation strategy, mildest first ---------------------
# kind, wait days, description (quoting "Clear, transparent escalation strategy", Table 3)
LADDER_STEPS = [
    ("letter_to_board", 60, "\"Contacting the board and expressing concerns\" by writing a "
     "letter to the chair, co-signed by the members."),
    ("meeting_with_board", 60, "A meeting with the board or its chair, \"at conference calls or "
     "at a shareholders' meeting\"."),
    ("public_statement", 45, "\"Issuing a public statement\" on the lack of progress."),
    ("widen_coalition", 90, "\"Increasing leverage by collaborating with other financial "
     "institutions\": invite more investors to co-sign."),
    ("agm_question", 120, "Ask the question in public at the annual general meeting."),
    ("vote_against_directors", 120, "\"Voting against board members at annual general "
     "meetings\", or \"against the re-election for directors responsible for the topic at "
     "hand\"."),
    ("vote_against_annual_report", 120, "\"Voting against the annual financial report\"."),
    ("co_file_resolution", 180, "\"(Co-)filing shareholder resolutions\"."),
    ("nominate_director", 365, "\"Submitting one or more nominations for election to the "
     "board\"."),
    ("legal_action", 180, "\"Seeking legal remedies\"."),
    ("reduce_exposure", 180, "\"As a last resort, reducing exposure in the company\"."),
    ("divestment_review", 90, "\"Or completely divesting, even if it is just temporarily until "
     "the company has improved its practices.\" First answer the OECD question: \"When is "
     "divestment responsible and when can it be harmful?\""),
]
TEMPLATE_LADDER_NAME = "Study escalation strategy (template)"
# Wait days an initiative sets differently from the template.
LADDER_WAIT_OVERRIDES = {
    "living_wage": {"letter_to_board": 90, "meeting_with_board": 90},
    "cobalt": {},
    "meat": {"letter_to_board": 45, "public_statement": 30},
}
# Ladders tailored to one organisation's engagements: name, steps (kind, wait days)
TAILORED_LADDERS = {
    "groenbank-active": ("Groenbank active engagement (maximum one year)", [
        ("letter_to_board", 30), ("meeting_with_board", 30), ("public_statement", 30),
        ("vote_against_directors", 90), ("divestment_review", 60)]),
    "amstelhof-fiduciary": ("Amstelhof fiduciary engagement (fund investors cannot divest)", [
        ("letter_to_board", 60), ("meeting_with_board", 90), ("agm_question", 120),
        ("vote_against_directors", 120), ("vote_against_annual_report", 120),
        ("co_file_resolution", 180)]),
}

# The engagements' content lives in its own module, so that both stay readable.
from engage.demo.data_engagements import (  # noqa: E402, F401  (re-exported)
    COLLABORATIVE,
    DIALOGUE,
    GENERIC_DIALOGUE,
    HOLDINGS,
    LETTERS,
    MILESTONE_PLANS,
    NOTES,
    OBJECTIVES,
    PROFILES,
    SOLO,
    TOPICS,
    VOTE_ITEM_KINDS,
    VOTES,
)
