"""The escalation ladders every install starts with, defined once: the migration that installs
them, the ladder service and the tests all read this module (plain data, no imports).

The first is the escalation strategy of the study on human rights engagement (its list of
measures, mildest first, divestment "as a last resort"); the second is for investors who hold
through funds or a fiduciary manager and so cannot vote or divest themselves (the insurer of
the investment policy seed): each step asks the manager to act, the last one is leaving the
fund. Step kinds are the values of ``StepKind``; each step is (kind, wait days, what it asks
in English, the same in Dutch). Waits are how long the company has to answer a step before
the leads review it.
"""

from __future__ import annotations

STUDY = "study-escalation-strategy"
FUND_HOLDER = "fund-holder-escalation"

TEMPLATES: list[dict] = [
    {
        "key": STUDY,
        "name": "Escalation strategy of the study",
        "name_nl": "Escalatiestrategie uit de studie",
        "description": (
            "The twelve measures of the study's escalation strategy, mildest first: contact the "
            "board, make it public, widen the coalition, use the vote, go to court, and only as "
            "a last resort reduce exposure or divest."),
        "description_nl": (
            "De twaalf maatregelen van de escalatiestrategie uit de studie, de mildste eerst: "
            "het bestuur aanspreken, naar buiten treden, de coalitie verbreden, het stemrecht "
            "gebruiken, naar de rechter stappen, en pas als laatste middel de positie afbouwen "
            "of desinvesteren."),
        "steps": [
            ("letter_to_board", 60,
             "\"Contacting the board and expressing concerns\": a letter to the chair, "
             "co-signed by the members.",
             "\"Contact opnemen met het bestuur en zorgen uiten\": een brief aan de voorzitter, "
             "medeondertekend door de leden."),
            ("meeting_with_board", 60,
             "A meeting with the board or its chair, \"at conference calls or at a "
             "shareholders' meeting\".",
             "Een gesprek met het bestuur of de voorzitter, telefonisch of rond een "
             "aandeelhoudersvergadering."),
            ("public_statement", 45,
             "\"Issuing a public statement\" on the lack of progress.",
             "\"Een publieke verklaring afgeven\" over het gebrek aan voortgang."),
            ("widen_coalition", 90,
             "\"Increasing leverage by collaborating with other financial institutions\": "
             "invite more investors to join.",
             "\"De invloed vergroten door samen te werken met andere financiële instellingen\": "
             "nodig meer beleggers uit om aan te sluiten."),
            ("agm_question", 120,
             "Ask the question in public at the annual general meeting.",
             "Stel de vraag in het openbaar op de algemene vergadering van aandeelhouders."),
            ("vote_against_directors", 120,
             "\"Voting against board members at annual general meetings\", or against the "
             "re-election of the directors responsible for the topic.",
             "\"Tegen bestuursleden stemmen op de algemene vergadering\", of tegen de "
             "herbenoeming van de bestuurders die voor het onderwerp verantwoordelijk zijn."),
            ("vote_against_annual_report", 120,
             "\"Voting against the annual financial report\".",
             "\"Tegen het jaarverslag stemmen\"."),
            ("co_file_resolution", 180,
             "\"(Co-)filing shareholder resolutions\".",
             "\"Aandeelhoudersresoluties (mede) indienen\"."),
            ("nominate_director", 365,
             "\"Submitting one or more nominations for election to the board\".",
             "\"Een of meer kandidaten voordragen voor benoeming in het bestuur\"."),
            ("legal_action", 180,
             "\"Seeking legal remedies\".",
             "\"Juridische middelen inzetten\"."),
            ("reduce_exposure", 180,
             "\"As a last resort, reducing exposure in the company\".",
             "\"Als laatste middel de positie in het bedrijf afbouwen\"."),
            ("divestment_review", 90,
             "Divest, \"even if it is just temporarily until the company has improved its "
             "practices\", once leverage is exhausted. First answer the OECD question: \"When "
             "is divestment responsible and when can it be harmful?\"",
             "Desinvesteren, \"ook al is het tijdelijk, totdat het bedrijf zijn praktijken heeft "
             "verbeterd\", als de invloed is uitgeput. Beantwoord eerst de vraag van de OESO: "
             "\"Wanneer is desinvesteren verantwoord en wanneer kan het schade doen?\""),
        ],
    },
    {
        "key": FUND_HOLDER,
        "name": "Escalation through fund managers",
        "name_nl": "Escaleren via fondsbeheerders",
        "description": (
            "For investors who hold the company through funds or a fiduciary manager and cannot "
            "vote or divest themselves: each step asks the manager to act on the members' "
            "behalf; the last resort is moving to another fund."),
        "description_nl": (
            "Voor beleggers die het bedrijf via fondsen of een fiduciair beheerder aanhouden en "
            "zelf niet kunnen stemmen of desinvesteren: elke stap vraagt de beheerder namens de "
            "leden te handelen; het laatste middel is overstappen naar een ander fonds."),
        "steps": [
            ("letter_to_board", 60,
             "Ask the fund managers to write to the board with the members' concerns, and "
             "co-sign where they allow it.",
             "Vraag de fondsbeheerders het bestuur te schrijven over de zorgen van de leden, en "
             "onderteken mee waar dat kan."),
            ("meeting_with_board", 90,
             "Ask the fund managers to raise the concern in their meetings with the board.",
             "Vraag de fondsbeheerders de zorg aan de orde te stellen in hun gesprekken met het "
             "bestuur."),
            ("widen_coalition", 90,
             "Raise the engagement with the fiduciary manager and the other investors in the "
             "same funds.",
             "Breng de engagement in bij de fiduciair beheerder en de andere beleggers in "
             "dezelfde fondsen."),
            ("agm_question", 120,
             "Ask the fund managers to put the question at the annual general meeting.",
             "Vraag de fondsbeheerders de vraag te stellen op de algemene vergadering."),
            ("vote_against_directors", 120,
             "Ask the fund managers to vote against the responsible directors, and to report "
             "how they voted.",
             "Vraag de fondsbeheerders tegen de verantwoordelijke bestuurders te stemmen en te "
             "melden hoe zij stemden."),
            ("co_file_resolution", 180,
             "Ask the fund managers to (co-)file a shareholder resolution.",
             "Vraag de fondsbeheerders een aandeelhoudersresolutie (mede) in te dienen."),
            ("reduce_exposure", 180,
             "Ask the fiduciary manager to exclude the company from the mandate, or to reduce "
             "the fund's position.",
             "Vraag de fiduciair beheerder het bedrijf uit te sluiten van het mandaat, of de "
             "positie van het fonds af te bouwen."),
            ("divestment_review", 90,
             "Review moving to another fund that does not hold the company, once the managers' "
             "leverage is exhausted.",
             "Overweeg over te stappen naar een ander fonds dat het bedrijf niet aanhoudt, als "
             "de invloed van de beheerders is uitgeput."),
        ],
    },
]
