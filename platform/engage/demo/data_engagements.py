"""The demo's engagements: their progress, objectives, milestones, dialogue, notes, holdings
and votes. Plain constants, re-exported by :mod:`engage.demo.data`; offsets are days from
the ``today`` the demo is loaded for.
"""

from __future__ import annotations

# --- engagements -------------------------------------------------------------------------------
# How far an engagement has come. Milestone offsets are days from today (due, stage, met or
# None); the loader adds a small per-engagement shift of 0-3 days.
PROFILES = {
    "ahead": dict(started=620, status="active", closed=None,
                  milestones=[(-240, 4, -250), (-150, 4, -158), (-30, 4, -36), (25, 2, None),
                              (540, 1, None)]),
    "on_track": dict(started=420, status="active", closed=None,
                     milestones=[(-180, 4, -186), (12, 2, None), (95, 1, None), (210, 1, None),
                                 (620, 0, None)]),
    "behind": dict(started=380, status="active", closed=None,
                   milestones=[(-200, 4, -195), (-21, 2, None), (75, 1, None), (180, 1, None),
                               (600, 0, None)]),
    "stalled": dict(started=330, status="active", closed=None,
                    milestones=[(-75, 1, None), (-9, 1, None), (26, 1, None), (150, 0, None),
                                (560, 0, None)]),
    "new": dict(started=60, status="active", closed=None,
                milestones=[(20, 1, None), (60, 0, None), (150, 0, None), (300, 0, None),
                            (700, 0, None)]),
    "closed_success": dict(started=700, status="closed_success", closed=50,
                           milestones=[(-400, 4, -410), (-300, 4, -320), (-200, 4, -230),
                                       (-120, 4, -140), (-60, 4, -70)]),
    "closed_no_prospect": dict(started=520, status="closed_no_prospect", closed=40,
                               milestones=[(-330, 4, -335), (-200, 1, None), (-120, 1, None),
                                           (-60, 0, None), (400, 0, None)]),
}

# company, initiative, profile, lead, co-lead (collaborative: all inside an initiative)
COLLABORATIVE = [
    ("inditex", "living_wage", "ahead", "groenbank", "lindeboom"),
    ("hm", "living_wage", "on_track", "groenbank", "pf-vakmensen"),
    ("adidas", "living_wage", "ahead", "pf-vakmensen", None),
    ("puma", "living_wage", "on_track", "pf-vakmensen", None),
    ("nike", "living_wage", "behind", "groenbank", "amstelhof"),
    ("fastretailing", "living_wage", "behind", "lindeboom", None),
    ("kering", "living_wage", "on_track", "pf-vakmensen", None),
    ("hugoboss", "living_wage", "new", "lindeboom", None),
    ("zalando", "living_wage", "new", "groenbank", None),
    ("next", "living_wage", "stalled", "groenbank", "pf-vakmensen"),
    ("mands", "living_wage", "on_track", "pf-vakmensen", "groenbank"),
    ("abf", "living_wage", "behind", "groenbank", None),
    ("pvh", "living_wage", "on_track", "lindeboom", None),
    ("vf", "living_wage", "new", "pf-vakmensen", None),
    ("gap", "living_wage", "closed_no_prospect", "groenbank", None),
    ("apple", "cobalt", "ahead", "tallskog", "groenbank"),
    ("microsoft", "cobalt", "on_track", "tallskog", None),
    ("mercedes", "cobalt", "closed_success", "lindeboom", "tallskog"),
    ("vw", "cobalt", "behind", "lindeboom", None),
    ("bmw", "cobalt", "on_track", "lindeboom", None),
    ("tesla", "cobalt", "stalled", "tallskog", "pf-vakmensen"),
    ("samsung", "cobalt", "behind", "tallskog", None),
    ("panasonic", "cobalt", "new", "tallskog", None),
    ("lgchem", "cobalt", "on_track", "lindeboom", "amstelhof"),
    ("mcdonalds", "meat", "on_track", "lindeboom", "amstelhof"),
    ("rbi", "meat", "stalled", "amstelhof", None),
    ("yum", "meat", "behind", "lindeboom", None),
    ("dominos", "meat", "stalled", "lindeboom", None),
    ("wendys", "meat", "new", "amstelhof", None),
    ("chipotle", "meat", "on_track", "amstelhof", "lindeboom"),
]

# Engagements outside any initiative: the bank's direct one, and the fiduciary manager's
# engagements on behalf of the insurer (section 8.4: "De engagement-activiteiten zijn
# uitbesteed aan de fiduciair manager").
SOLO = {
    "posco": dict(
        title="Myanmar joint venture with MEHL: POSCO C&C", level="direct", trigger="reactive",
        profile="closed_success", ladder="groenbank-active", started=160, closed=90,
        milestones=[(-140, 4, -145), (-105, 4, -110), (-95, 4, -94)],
        participants=[("groenbank", "lead")], severity=(5, 4, 4),
        issue=("\"Following the military coup in Myanmar in February 2021, the human rights "
               "situation in the country worsened drastically.\" The company's joint venture "
               "with Myanmar Economic Holdings Limited (MEHL), a company controlled by the "
               "Myanmar military, links it to the military's abuses (study, Table 2)."),
        rights_holders="People of Myanmar, protesters and ethnic minorities targeted by the "
                       "military; workers of the joint venture."),
    "nestle": dict(
        title="Kinderarbeid in de cacaoketen: Nestlé", level="outsourced", trigger="proactive",
        profile="behind", ladder="amstelhof-fiduciary", started=400, closed=None,
        participants=[("amstelhof", "lead"), ("scheldezeker", "supporter")], severity=(5, 4, 3),
        issue=("Child labour on cocoa farms supplying the company in Côte d'Ivoire and Ghana. "
               "Run by the fiduciary manager for the insurer: \"We gaan via de fiduciair "
               "manager in gesprek met bedrijven waar (potentiële) negatieve impacts zijn "
               "geïdentificeerd.\""),
        rights_holders="Children in cocoa-growing communities and their families; cocoa farmers."),
    "glencore": dict(
        title="Mijnbouw in de DRC: Glencore", level="outsourced", trigger="reactive",
        profile="stalled", ladder="amstelhof-fiduciary", started=300, closed=None,
        participants=[("amstelhof", "lead"), ("scheldezeker", "supporter")], severity=(4, 3, 4),
        issue=("Reports of pollution and of violence against artisanal miners around the "
               "company's copper and cobalt mines in the DRC; flagged 'watch' in the quarterly "
               "UNGC screening (section 8.1)."),
        rights_holders="Communities near the mines in Lualaba province; artisanal miners."),
}

# Objectives (section 8.4 of the insurer's policy), per initiative or solo engagement.
_NL_84 = {
    "end_impact": "De negatieve impact moet worden beëindigd",
    "provide_remedy": "De onderneming moet zorgen voor herstel en/of verhaal voor benadeelden",
    "prevent_recurrence": "De onderneming moet voldoende maatregelen nemen om toekomstige "
                          "incidenten te voorkomen",
    "transparency": "De onderneming moet transparant zijn over de genomen maatregelen",
}
OBJECTIVES = {
    "living_wage": {
        "end_impact": "Workers in the supply chain earn at least a living wage.",
        "provide_remedy": "Wage arrears and severance owed to workers of closed supplier "
                          "factories are paid.",
        "prevent_recurrence": "Purchasing practices ring-fence labour costs, so that prices "
                              "never push wages below a living wage.",
        "transparency": "The supplier list, living wage benchmarks and the wage gap per country "
                        "are public.",
    },
    "cobalt": {
        "end_impact": "No child labour in the company's cobalt supply chain.",
        "provide_remedy": "Children found working are taken into remediation programmes and "
                          "back to school.",
        "prevent_recurrence": "Cobalt is bought only through smelters and refiners audited "
                              "against the OECD minerals guidance.",
        "transparency": "The cobalt supply chain is mapped and published down to the smelters.",
    },
    "meat": {
        "end_impact": "Injury and illness rates in supplying meat plants fall to the sector's "
                      "best quartile.",
        "provide_remedy": "Workers harmed in supplying plants get access to an effective "
                          "grievance mechanism and compensation.",
        "prevent_recurrence": "Supplier code on health and safety and freedom of association, "
                              "with audits; SBTi-approved GHG targets.",
        "transparency": "Meat-processing suppliers and their health and safety record are "
                        "disclosed.",
    },
    "posco": {
        "end_impact": "The company ends its joint venture with MEHL.",
        "provide_remedy": "The exit protects the joint venture's workers (wages and severance).",
        "prevent_recurrence": "A policy of no business with entities controlled by the military.",
        "transparency": "The company reports publicly on the exit and its terms.",
    },
    "nestle": {k: v + ": kinderarbeid in de cacaoketen." for k, v in _NL_84.items()},
    "glencore": {k: v + ": mijnen in de DRC." for k, v in _NL_84.items()},
}

# Milestone plans: title, horizon, objective kind, evidence when met, outcome for people.
MILESTONE_PLANS = {
    "living_wage": [
        ("Board member accountable for living wages named and commitment published", "short",
         "transparency", "Commitment on the company website, signed off by the CEO.",
         "Workers' pay is on the board's agenda."),
        ("Supplier list published down to tier 2 (fabric and yarn)", "short", "transparency",
         "Supplier list downloaded and checked against the assessment.",
         "Unions and NGOs can reach workers at every listed site."),
        ("Living wage benchmarks and wage gap disclosed per sourcing country", "mid",
         "end_impact", "", "The gap between wages paid and a living wage becomes measurable."),
        ("Labour costs ring-fenced in price negotiations with suppliers", "mid",
         "prevent_recurrence", "", "Suppliers no longer cut wages to meet buying prices."),
        ("Living wage verified at suppliers covering half of the sourcing volume", "long",
         "end_impact", "", "Workers and their families can meet their basic needs."),
    ],
    "cobalt": [
        ("Cobalt supply chain mapped to smelter and refiner level", "short", "transparency",
         "Smelter list published in the company's conflict minerals report.",
         "Mines linked to child labour can be traced."),
        ("Only RMAP-conformant smelters and refiners in the supply chain", "mid",
         "prevent_recurrence", "", "Cobalt from mines using child labour is kept out."),
        ("Remediation plan for child labour cases at artisanal sites", "mid", "provide_remedy",
         "", "Children removed from mines go to school with family income support."),
        ("Independent verification of no child labour in the supply chain", "long",
         "end_impact", "", "No child works in the mines supplying the company."),
    ],
    "meat": [
        ("Meat-processing suppliers and their injury rates disclosed", "short", "transparency",
         "Supplier disclosure in the annual sustainability report.",
         "Workers' safety becomes visible to investors and the public."),
        ("Supplier code covers health and safety and freedom of association", "mid",
         "prevent_recurrence", "", "Workers can organise and refuse unsafe work."),
        ("SBTi-approved GHG targets covering the meat supply chain", "mid", "transparency",
         "", "Communities near livestock operations face less pollution."),
        ("Injury rates at supplying plants reduced by a third, verified", "long", "end_impact",
         "", "Fewer workers injured or made ill."),
    ],
    "posco": [
        ("Board acknowledges the link between the joint venture and the military", "short",
         "transparency", "Letter from the chair.", "The company recognises the risk to people."),
        ("Company announces it will end the joint venture with MEHL", "short", "end_impact",
         "\"Posco C&C announced in April 2021 that it will sever its ties with MEHL.\"",
         "Profits no longer flow to the military."),
        ("Exit completed with safeguards for the joint venture's workers", "mid",
         "provide_remedy", "Exit terms reported.", "Workers keep their wages and severance."),
    ],
    "nestle": [
        ("Dekking van het monitoring- en herstelsysteem per coöperatie gepubliceerd", "short",
         "transparency", "", "Zichtbaar welke kinderen worden bereikt."),
        ("Herstelplan: kinderen met kinderarbeid begeleid naar school", "mid", "provide_remedy",
         "", "Kinderen gaan naar school in plaats van naar het veld."),
        ("Inkomenskloof van cacaoboeren gemeten en gepubliceerd", "mid", "prevent_recurrence",
         "", "Gezinnen hoeven niet op kinderarbeid te leunen."),
        ("Aantoonbare daling van kinderarbeid in de herkomstgemeenschappen", "long",
         "end_impact", "", "Minder kinderen aan het werk."),
    ],
    "glencore": [
        ("Onafhankelijk onderzoek naar de incidenten bij de mijnen", "short", "transparency",
         "", "De getroffen gemeenschappen worden gehoord."),
        ("Klachtenmechanisme voor omwonenden en ambachtelijke mijnwerkers", "short",
         "provide_remedy", "", "Getroffenen hebben toegang tot herstel."),
        ("Waterkwaliteit rond de mijnen gemeten en gepubliceerd", "mid", "transparency", "",
         "Omwonenden weten of hun water veilig is."),
        ("Geen nieuwe incidenten met beveiliging bij de mijnen", "long", "prevent_recurrence",
         "", "Ambachtelijke mijnwerkers lopen geen gevaar meer."),
    ],
}

# --- dialogue ----------------------------------------------------------------------------------
# What each engagement is about, in the generic dialogue below.
TOPICS = {
    "living_wage": "living wages in its supply chain",
    "cobalt": "responsible cobalt sourcing",
    "meat": "labour conditions and emissions in its meat supply chain",
    "posco": "its joint venture with MEHL",
    "nestle": "child labour in its cocoa supply chain",
    "glencore": "the impacts of its mines in the DRC",
}
# Logged by the lead for the coalition. profiles (None: every one), kind, anchor ("start",
# "today" or "closed"), offset in days, summary, outcome.
GENERIC_DIALOGUE = [
    (None, "letter", "start", 0,
     "Letter to the chair of {company} on {topic}, signed by {signed_by}, setting out the "
     "goals of the engagement and asking for a meeting with the board member responsible.",
     "Receipt acknowledged by the company secretary."),
    (None, "meeting", "start", 40,
     "First meeting with the head of sustainability and investor relations of {company}; the "
     "lead presented its assessment and proposed short-, mid- and long-term milestones.",
     "Short-term milestones agreed; mid-term milestones still under discussion."),
    ({"ahead"}, "stakeholder_consultation", "start", 150,
     "Consultation of worker representatives and NGOs on the progress of {company}, to check "
     "outcomes for people and not only policies.",
     "Stakeholders confirm the first changes on the ground; they ask for wage data per site."),
    ({"ahead"}, "meeting", "today", -20,
     "Progress meeting with the board member responsible for {topic}.",
     "Company ahead of plan; next year's targets agreed."),
    ({"on_track"}, "call", "today", -35, "Progress call with {company} on the agreed milestones.",
     "Next milestone expected on time."),
    ({"behind"}, "meeting", "start", 200,
     "Second meeting with {company}: the company asked for more time for the short-term "
     "milestone.", "Lead agreed to keep the deadline and to review progress then."),
    ({"behind"}, "email", "today", -14,
     "Reminder to {company}: an agreed milestone is overdue; asked for a new date and the "
     "reasons for the delay.", "Reply promised within two weeks."),
    ({"stalled"}, "email", "today", -60,
     "Follow-up to the first meeting: asked {company} for the information it promised.",
     "No substantive reply."),
    ({"stalled"}, "email", "today", -5,
     "Second reminder to investor relations of {company}, copied to the chair.",
     "No response yet."),
    ({"closed_success"}, "meeting", "closed", -15,
     "Closing meeting: {company} showed the evidence for its last milestone; the lead proposed "
     "to close the engagement as a success.", "Engagement closed: objectives met."),
    ({"closed_no_prospect"}, "letter", "closed", -5,
     "Letter informing {company} that the dialogue on {topic} is closed after repeated missed "
     "milestones; members will consider escalation through their votes.", "No reply."),
]
# Entries written by hand: company, kind, anchor, offset, organisation, visibility,
# participants, summary, outcome. The author is the organisation's first member.
DIALOGUE = [
    ("apple", "meeting", "today", -95, "tallskog", "coalition",
     "Tallskog (lead), Groenbank; Apple supplier responsibility team",
     "Meeting on the published smelter list and Apple's audit programme for cobalt refiners.",
     "\"Apple has mapped its supply chain and introduced minimum requirements and audits.\""),
    ("mercedes", "meeting", "closed", -30, "lindeboom", "coalition",
     "Lindeboom (lead), Tallskog; head of procurement",
     "Review of the company's certified-mine sourcing requirement for battery cells.",
     "\"Daimler now only buys cobalt from certified mines.\""),
    ("hm", "stakeholder_consultation", "today", -45, "groenbank", "coalition",
     "Groenbank; garment workers' union representatives; a labour rights NGO",
     "Consultation in Dhaka on wages at H&M's tier-1 suppliers, ahead of the next meeting with "
     "the company.", "Workers report overtime needed to reach a living wage; shared with H&M."),
    ("inditex", "site_visit", "today", -120, "lindeboom", "coalition",
     "Lindeboom, Groenbank; Inditex sourcing team; workers",
     "Visit to two supplier factories in Turkey; workers interviewed without managers present.",
     "Wage ladder confirmed at one site; the other pays the legal minimum only."),
    ("next", "call", "today", -18, "pf-vakmensen", "private",
     "Pensioenfonds Vakmensen; Next investor relations",
     "Bilateral call outside the coalition: the company hinted that the board will discuss a "
     "living wage commitment next quarter.",
     "Not shared with the coalition yet: waiting for confirmation."),
    ("tesla", "agm_question", "today", -200, "tallskog", "coalition",
     "Tallskog on behalf of the coalition", "Question at the AGM: how many smelters in the "
     "cobalt supply chain have passed an independent audit, and when will the list be public?",
     "The chair said the supply chain report will be updated; no date given."),
    ("tesla", "email", "today", -10, "pf-vakmensen", "private",
     "Pensioenfonds Vakmensen voting team",
     "Internal: advise the voting committee to support the shareholder proposal on supply chain "
     "human rights reporting.", "Voting committee agreed."),
    ("mcdonalds", "agm_question", "today", -175, "lindeboom", "coalition",
     "Lindeboom on behalf of the coalition",
     "Question at the AGM on targets for injury rates at the meat plants that supply the company.",
     "Company will report supplier injury data in its next sustainability report."),
    ("posco", "call", "closed", -25, "groenbank", "coalition",
     "Groenbank; POSCO C&C investor relations",
     "Call on the company's decision about the joint venture with MEHL.",
     "\"Posco C&C announced in April 2021 that it will sever its ties with MEHL.\""),
    ("nestle", "meeting", "today", -70, "amstelhof", "coalition",
     "Amstelhof (namens Scheldezeker en andere klanten); Nestlé",
     "Gesprek over de dekking van het monitoring- en herstelsysteem voor kinderarbeid.",
     "Nestlé levert de cijfers per coöperatie later dan afgesproken."),
    ("nestle", "meeting", "today", -30, "scheldezeker", "private",
     "Beleggingscommissie Scheldezeker",
     "Kwartaalrapportage van de fiduciair manager besproken: de dialoog met Nestlé loopt achter "
     "op de afgesproken mijlpaal.", "Fiduciair manager gevraagd om een nieuwe datum."),
    ("glencore", "stakeholder_consultation", "today", -100, "amstelhof", "coalition",
     "Amstelhof; een ngo in Kolwezi; vertegenwoordigers van ambachtelijke mijnwerkers",
     "Gesprek met omwonenden en mijnwerkers over de incidenten bij de mijnen.",
     "Klachten over water en beveiliging bevestigd; gedeeld met de onderneming."),
    ("rbi", "email", "today", -3, "amstelhof", "private", "Amstelhof engagement team",
     "Internal: propose a public statement if the company does not reply before the next "
     "coalition call.", "To be discussed with the coordinator."),
]

# Private working notes: company, organisation, body (author: its first member).
NOTES = [
    ("hm", "groenbank",
     "H&M is our largest garment position. If the mid-term milestone slips, propose a vote "
     "against the chair at the next AGM rather than a public statement."),
    ("tesla", "pf-vakmensen",
     "The voting committee wants the engagement view before the AGM; Ruben to brief them."),
    ("glencore", "scheldezeker",
     "Bij onvoldoende voortgang de fondsbeheerder aanspreken; verkoop van het fonds is het "
     "uiterste middel (8.2)."),
]

# --- holdings (valued at the last quarter end; section 5.2: quarterly screening) ------------
# organisation: [(company key or name on the exclusion list, value in thousands of EUR)]
HOLDINGS = {
    "groenbank": [("inditex", 310_000), ("hm", 420_000), ("nike", 150_000), ("next", 95_000),
                  ("abf", 120_000), ("zalando", 60_000), ("gap", 40_000), ("apple", 380_000),
                  ("microsoft", 450_000), ("samsung", 140_000), ("posco", 12_500)],
    # Look-through positions in the insurer's funds; the policy expects that "beleggingsfondsen
    # beleggingen bevatten die we eigenlijk wensen uit te sluiten".
    "scheldezeker": [("nestle", 14_500), ("glencore", 3_200), ("mcdonalds", 6_100),
                     ("apple", 18_000), ("microsoft", 21_300), ("inditex", 4_000),
                     ("Altria Group, Inc.", 1_400), ("COAL INDIA LTD", 600), ("vw", 2_200)],
    "pf-vakmensen": [("adidas", 540_000), ("puma", 210_000), ("kering", 330_000),
                     ("mands", 160_000), ("vf", 140_000), ("hm", 260_000), ("tesla", 610_000),
                     ("mcdonalds", 480_000), ("yum", 150_000), ("apple", 1_200_000),
                     ("lgchem", 90_000)],
    "lindeboom": [("inditex", 900_000), ("fastretailing", 410_000), ("hugoboss", 120_000),
                  ("pvh", 160_000), ("mercedes", 700_000), ("vw", 520_000), ("bmw", 610_000),
                  ("mcdonalds", 980_000), ("dominos", 210_000), ("yum", 340_000),
                  ("WALMART INC.", 1_500_000), ("posco", 25_000)],
    "amstelhof": [("nestle", 220_000), ("glencore", 85_000), ("rbi", 70_000),
                  ("wendys", 45_000), ("chipotle", 130_000), ("nike", 260_000),
                  ("lgchem", 60_000)],
    "tallskog": [("apple", 800_000), ("microsoft", 950_000), ("samsung", 300_000),
                 ("panasonic", 120_000), ("tesla", 400_000), ("mercedes", 350_000),
                 ("vw", 200_000), ("hm", 330_000)],
}

# --- votes -------------------------------------------------------------------------------------
# organisation, company (and engagement) key, AGM in days from today, item, instruction,
# requested instruction, status, rationale
VOTES = [
    ("groenbank", "next", -140, "Re-elect the chair of the board", "against", "against", "cast",
     "Escalation of the living wage initiative: \"voting against the re-election for directors "
     "responsible for the topic at hand\". The board has not committed to a living wage."),
    ("pf-vakmensen", "tesla", 40,
     "Shareholder proposal: report on human rights due diligence in the cobalt supply chain",
     "for", "for", "instructed",
     "Supports the coalition's goal of a published, audited cobalt supply chain."),
    ("lindeboom", "mcdonalds", -175,
     "Shareholder proposal: report on worker health and safety in the meat supply chain",
     "for", "for", "cast", "In line with the coalition's transparency milestone."),
    ("scheldezeker", "nestle", -230, "Approve the annual report", "for", None, "cast",
     "Via het stemadvieskantoor (Bijlage 2); de dialoog over kinderarbeid loopt via de "
     "fiduciair manager."),
    ("amstelhof", "glencore", 25,
     "Re-elect the chair of the health, safety, environment and communities committee",
     "abstain", "against", "proposed",
     "The escalation asks for a vote against; each client keeps its own final vote. Abstention "
     "proposed until the company answers on the independent investigation."),
    ("tallskog", "vw", -160, "Ratify the acts of the supervisory board", "against", "against",
     "cast", "No progress on the smelter audit milestone; the supervisory board is accountable."),
]
# What each demo vote's item decides (the votes page's consistency check); others: "other".
VOTE_ITEM_KINDS = {
    "Re-elect the chair of the board": "directors",
    "Approve the annual report": "report",
    "Re-elect the chair of the health, safety, environment and communities committee":
        "directors",
    "Ratify the acts of the supervisory board": "directors",
}

# Letters open for co-signing: company, title, body (HTML), organisations that signed so far.
# The engagement page shows the signatories and their combined assets under management.
LETTERS = [
    ("hm", "Letter to the Board of H & M Hennes & Mauritz AB: a living wage in the supply chain",
     "<p>To the Board of Directors of H &amp; M Hennes &amp; Mauritz AB,</p>"
     "<p>As investors in your company we ask the Board to commit to a time-bound roadmap to a "
     "living wage for the workers at your tier-1 suppliers, to publish the wage gap per "
     "sourcing country, and to report on it every year.</p>"
     "<p>Workers we consulted in Dhaka report that overtime is needed to reach a living wage. "
     "We would welcome a meeting with the Board within three months.</p>",
     ["groenbank"]),
]
