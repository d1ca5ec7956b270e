"""Dutch text for generated demo and benchmark data: an energy supplier's customer service.

Pure Python (no Django): the benchmark's load generator uses it too. Text is assembled from
short fragments with filled-in slots, so that word frequencies look like a real inbox: a few
words are everywhere ("meterstand", "factuur"), most words are uncommon, and a long tail of
place and street names and a handful of rare terms appear only now and then. `RARE_TERM` and
`COMMON_TERM` are the words the search benchmark looks for.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

COMMON_TERM = "meterstand"
RARE_TERM = "thuisbatterij"
# Chance that one customer message mentions RARE_TERM (about 25 in a million messages).
RARE_TERM_RATE = 1 / 40_000

# fmt: off
FIRST_NAMES = (
    "Anna", "Sanne", "Lotte", "Emma", "Julia", "Sophie", "Lisa", "Eva", "Fleur", "Iris", "Noor",
    "Femke", "Marloes", "Ingrid", "Petra", "Monique", "Karin", "Wilma", "Ans", "Truus", "Fatima",
    "Yasmina", "Samira", "Priya", "Mei", "Daan", "Sem", "Lucas", "Jesse", "Thomas", "Bram", "Ruben",
    "Tim", "Lars", "Stijn", "Pieter", "Jan", "Kees", "Henk", "Gerrit", "Willem", "Marco", "Erik",
    "Sander", "Mohamed", "Youssef", "Ahmet", "Rajesh", "Wei", "Jeroen", "Mark", "Dennis", "Bas",
    "Koen", "Niels", "Marieke", "Hanneke", "Bert", "Joke", "Dirk",
)
LAST_NAMES = (
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
    "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
    "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer",
    "van der Linden", "Kok", "Jacobs", "de Haan", "Vermeulen", "van den Heuvel", "van der Veen",
    "van den Broek", "de Bruijn", "de Bruin", "van der Heijden", "Schouten", "van Beek", "Willems",
    "van Vliet", "van de Ven", "Hoekstra", "Maas", "Verhoeven", "Koster", "van Dam", "van der Wal",
    "Prins", "Blom", "Huisman", "Yilmaz", "El Amrani", "Kaya", "Bouzid", "Ramdin", "Tjon", "Nguyen",
    "Wang", "Kramer", "Post",
)
EMAIL_DOMAINS = (
    "example.nl", "example.com", "ziggo.example", "kpnmail.example", "hotmail.example",
    "gmail.example", "outlook.example", "planet.example", "xs4all.example", "home.example",
)
CITIES = (
    "Amsterdam", "Rotterdam", "Den Haag", "Utrecht", "Eindhoven", "Groningen", "Tilburg", "Almere",
    "Breda", "Nijmegen", "Apeldoorn", "Haarlem", "Arnhem", "Enschede", "Amersfoort", "Zaanstad",
    "Zwolle", "Leiden", "Maastricht", "Dordrecht", "Ede", "Alkmaar", "Emmen", "Delft", "Venlo",
    "Deventer", "Sittard", "Helmond", "Oss", "Leeuwarden", "Hilversum", "Assen", "Gouda",
    "Purmerend", "Roosendaal", "Schiedam", "Lelystad", "Middelburg",
)
_STREET_STEMS = (
    "Linden", "Esdoorn", "Beuken", "Eiken", "Kastanje", "Berken", "Wilgen", "Populieren", "Merel",
    "Lijster", "Zwaluw", "Kievit", "Reiger", "Meeuwen", "Tulp", "Roos", "Narcis", "Molen", "Kerk",
    "School", "Haven", "Dijk", "Sluis", "Polder", "Koning", "Prinses", "Oranje", "Nassau",
    "Rembrandt", "Vondel", "Spinoza", "Erasmus", "Thorbecke", "Wilhelmina",
)
# fmt: on
_STREET_KINDS = ("straat", "laan", "weg", "plein", "hof", "singel", "dreef", "kade", "gracht")
# Syllables for made-up village and hamlet names: the long tail of the vocabulary.
# fmt: off
_PLACE_HEADS = (
    "Aal", "Bor", "Dal", "Eel", "Gaast", "Har", "Hol", "Kol", "Lut", "Mar", "Nij", "Oos", "Ped",
    "Rin", "Sleen", "Ter", "Ud", "Vel", "Wes", "Zuid", "Bleis", "Dwin", "Fro", "Gie", "Hijs",
    "Kroe", "Lier", "Mun", "Nort", "Olde", "Ruin", "Scharn", "Tjal", "Ulr", "Vries", "Wam", "Ysel",
    "Zeer", "Brak", "Drog", "Eext", "Gram", "Hoog", "Klim", "Lang", "Mep",
)
_PLACE_TAILS = (
    "wolde", "veen", "hoven", "dijk", "horst", "wijk", "broek", "hem", "loo", "sum", "ster", "beek",
    "kamp", "zijl", "werd", "dam", "rade", "lo", "meer", "holt", "kerk", "wier", "burg", "stede",
    "huizen", "gaast", "vaart", "schoten", "donk", "dorp",
)
# fmt: on

# Terms that are real but uncommon in an energy supplier's inbox.
# fmt: off
UNCOMMON_TERMS = (
    RARE_TERM, "warmtepomp", "laadpaal", "thuislader", "blokverwarming", "stadsverwarming",
    "dynamisch contract", "saldering", "omvormer", "netbeheerder", "energielabel", "isolatie",
    "kookplaat", "inductie", "aardgasvrij", "groepenkast", "aardlekschakelaar", "nachtstroom",
    "enkeltarief", "dubbeltarief", "energiebelasting", "ODE-heffing", "vastrecht",
)

MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
    "oktober", "november", "december",
)
# fmt: on


@dataclass(frozen=True)
class Topic:
    key: str
    weight: float
    team: str  # slug of the team that handles it
    types: tuple[tuple[str, float], ...]
    subjects: tuple[str, ...]
    customer: tuple[str, ...]
    agent: tuple[str, ...]


# fmt: off
TOPICS: tuple[Topic, ...] = (
    Topic(
        "jaarafrekening", 14, "facturen", (("question", 6), ("complaint", 3), ("request", 1)),
        (
            "Vraag over mijn jaarafrekening", "Jaarafrekening {jaar} klopt niet",
            "Hoge jaarafrekening", "Jaarafrekening niet ontvangen", "Uitleg jaarafrekening",
        ),
        (
            "Ik heb mijn jaarafrekening over {jaar} ontvangen en ik moet {bedrag} bijbetalen.",
            "Op de jaarafrekening staat een meterstand van {stand} kWh, maar dat kan niet kloppen.",
            "De jaarafrekening is veel hoger dan vorig jaar, terwijl ons verbruik gelijk is gebleven.",
            "Kunt u uitleggen hoe de eindafrekening is berekend?",
            "Volgens mij is de meterstand op de jaarafrekening geschat en niet afgelezen.",
            "Ik heb nog geen jaarafrekening ontvangen, terwijl mijn contract in {maand} afliep.",
            "Er staat een bedrag van {bedrag} aan vastrecht op, dat lijkt me te veel.",
            "Ik krijg {bedrag} terug volgens de jaarafrekening, wanneer wordt dat overgemaakt?",
        ),
        (
            "De jaarafrekening is gebaseerd op de meterstanden die wij van de netbeheerder kregen.",
            "Ik heb de jaarafrekening opnieuw laten berekenen met de meterstand die u doorgaf.",
            "Het bedrag van {bedrag} wordt binnen tien werkdagen op uw rekening gestort.",
            "U vindt een uitleg van alle posten op de jaarafrekening in Mijn Omgeving.",
            "De meterstand op de afrekening was inderdaad geschat; ik heb dit gecorrigeerd.",
        ),
    ),
    Topic(
        "voorschot", 10, "facturen", (("request", 6), ("question", 4)),
        (
            "Voorschot aanpassen", "Termijnbedrag te hoog", "Maandbedrag verlagen",
            "Vraag over voorschotbedrag", "Voorschot verhogen",
        ),
        (
            "Ik wil graag mijn maandelijkse voorschot aanpassen naar {bedrag}.",
            "Het termijnbedrag is verhoogd zonder dat ik daar bericht over heb gehad.",
            "Sinds de zonnepanelen verbruiken we veel minder, kan het voorschot omlaag?",
            "Mijn voorschot is nu {bedrag} per maand, dat is te hoog voor ons verbruik.",
            "Liever betaal ik iets meer voorschot dan dat ik straks moet bijbetalen.",
            "In de app kan ik het voorschot niet lager zetten dan {bedrag}.",
        ),
        (
            "Ik heb uw voorschot aangepast naar {bedrag} per maand, ingaande {maand}.",
            "Op basis van uw verbruik adviseren wij een voorschot van {bedrag}.",
            "U kunt het termijnbedrag zelf aanpassen in Mijn Omgeving onder Betalingen.",
            "Het voorschot is verhoogd omdat de tarieven per 1 {maand} zijn gewijzigd.",
        ),
    ),
    Topic(
        "meterstand", 12, "klantenservice", (("report", 5), ("question", 4), ("complaint", 1)),
        (
            "Meterstand doorgeven", "Meterstanden bij verhuizing", "Foute meterstand",
            "Meterstand lukt niet online", "Meterstand gecorrigeerd?",
        ),
        (
            "Hierbij mijn meterstand: normaal {stand} kWh, dal {stand2} kWh en gas {gas} m3.",
            "Het lukt niet om de meterstand online door te geven, ik krijg steeds een foutmelding.",
            "De meterstand die u heeft gebruikt is hoger dan wat er op mijn meter staat.",
            "Ik heb een foto van de meter gemaakt, de meterstand is {stand}.",
            "Waarom moet ik de meterstand doorgeven als ik een slimme meter heb?",
            "Mijn meternummer is {meter}, de stand van vandaag is {stand}.",
        ),
        (
            "Bedankt voor het doorgeven van de meterstand, deze is verwerkt.",
            "De meterstand van {stand} kWh hebben wij vastgelegd per {datum}.",
            "Wij hebben de meterstand gecorrigeerd en een nieuwe nota gemaakt.",
            "Met een slimme meter ontvangen wij de meterstanden automatisch.",
        ),
    ),
    Topic(
        "storing", 8, "techniek", (("incident", 9), ("complaint", 1)),
        (
            "Storing stroom", "Geen gas sinds vanochtend", "Stroomstoring in {plaats}",
            "Storing meterkast", "Gasstoring melden",
        ),
        (
            "Sinds vanochtend hebben wij geen stroom meer in huis.",
            "De hele straat zit zonder stroom, is er een storing bekend in {plaats}?",
            "De aardlekschakelaar slaat steeds af, ik weet niet wat ik moet doen.",
            "Onze cv-ketel doet het niet, er lijkt geen gas binnen te komen.",
            "Er is een monteur geweest, maar de storing is nog steeds niet verholpen.",
            "Ik ruik een gaslucht in de meterkast, wat moet ik doen?",
        ),
        (
            "Er is een storing bekend in uw postcodegebied; de netbeheerder werkt eraan.",
            "Bij een gaslucht belt u direct het nationale storingsnummer en verlaat u de woning.",
            "Een monteur komt op {datum} tussen 8.00 en 12.00 uur langs.",
            "De storing is opgelost; excuses voor het ongemak.",
            "Controleer of de hoofdschakelaar in de meterkast aan staat.",
        ),
    ),
    Topic(
        "verhuizing", 9, "klantenservice", (("request", 7), ("question", 3)),
        (
            "Verhuizing doorgeven", "Ik ga verhuizen", "Nieuw adres per {datum}",
            "Verhuizing en meterstanden", "Contract meenemen naar nieuw adres",
        ),
        (
            "Op {datum} verhuizen wij naar de {straat} in {plaats}.",
            "Kan ik mijn contract meenemen naar mijn nieuwe adres?",
            "De meterstanden op het oude adres zijn {stand} kWh en {gas} m3 gas.",
            "Ik heb de verhuizing online doorgegeven maar geen bevestiging ontvangen.",
            "Op het nieuwe adres is een slimme meter aanwezig met nummer {meter}.",
            "De vorige bewoner heeft nog een contract bij u lopen op dit adres.",
        ),
        (
            "Uw verhuizing naar de {straat} in {plaats} is verwerkt per {datum}.",
            "Wilt u de meterstanden van beide adressen op de verhuisdag doorgeven?",
            "Uw contract gaat mee naar het nieuwe adres tegen dezelfde voorwaarden.",
            "U ontvangt binnen zes weken een eindafrekening voor het oude adres.",
        ),
    ),
    Topic(
        "slimme_meter", 6, "techniek", (("question", 5), ("incident", 3), ("request", 2)),
        (
            "Slimme meter geeft geen data", "Slimme meter aanvragen", "Vraag over slimme meter",
            "Slimme meter communiceert niet", "P1-poort slimme meter",
        ),
        (
            "Mijn slimme meter stuurt al weken geen meterstanden meer door.",
            "In de app zie ik sinds {maand} geen verbruik meer van de slimme meter.",
            "Ik wil graag een slimme meter laten plaatsen, hoe gaat dat?",
            "Kan ik een energiemonitor aansluiten op de P1-poort van de slimme meter?",
            "Het display van de meter is leeg, meternummer {meter}.",
        ),
        (
            "De netbeheerder heeft de communicatie met uw slimme meter hersteld.",
            "Een slimme meter vraagt u aan bij uw netbeheerder; dat is kosteloos.",
            "Tot de meter weer gegevens stuurt, kunt u de meterstand zelf doorgeven.",
            "De P1-poort kunt u vrij gebruiken voor een energiemonitor.",
        ),
    ),
    Topic(
        "teruglevering", 7, "techniek", (("question", 6), ("complaint", 2), ("request", 2)),
        (
            "Teruglevering zonnepanelen", "Terugleverkosten", "Saldering vraag",
            "Zonnepanelen aanmelden", "Teruglevering niet verrekend",
        ),
        (
            "Wij hebben {panelen} zonnepanelen laten plaatsen en willen de teruglevering regelen.",
            "Op de jaarafrekening is de teruglevering van {stand} kWh niet verrekend.",
            "Waarom betaal ik terugleverkosten terwijl ik zelf stroom opwek?",
            "Hoe werkt de saldering als ik meer teruglever dan ik verbruik?",
            "Ik overweeg een thuisbatterij, wat betekent dat voor mijn contract?",
            "De omvormer geeft aan dat we {stand} kWh hebben teruggeleverd.",
        ),
        (
            "Uw zonnepanelen zijn aangemeld; de teruglevering wordt voortaan verrekend.",
            "De terugleverkosten zijn {bedrag} per maand bij uw huidige teruglevering.",
            "Teruglevering wordt verrekend met uw verbruik zolang de salderingsregeling geldt.",
            "Ik heb de teruggeleverde kWh alsnog verrekend op een nieuwe nota.",
        ),
    ),
    Topic(
        "betalingsregeling", 6, "facturen", (("request", 8), ("question", 2)),
        (
            "Betalingsregeling aanvragen", "Kan ik in termijnen betalen?", "Betalingsachterstand",
            "Aanmaning ontvangen", "Betalingsregeling voor nota {nummer}",
        ),
        (
            "Ik kan het bedrag van {bedrag} niet in een keer betalen, is een betalingsregeling mogelijk?",
            "Ik heb een aanmaning ontvangen, maar ik heb de nota al betaald.",
            "Door omstandigheden loop ik achter met betalen, kunnen we een regeling treffen?",
            "Graag wil ik de nota van {bedrag} in {termijnen} termijnen betalen.",
            "Er zijn incassokosten in rekening gebracht terwijl ik een regeling had.",
        ),
        (
            "U kunt het bedrag van {bedrag} in {termijnen} maandelijkse termijnen betalen.",
            "De betalingsregeling gaat in op {datum}; de eerste termijn wordt dan geincasseerd.",
            "Wij hebben de aanmaningskosten kwijtgescholden.",
            "Heeft u hulp nodig met uw geldzaken? Wij kunnen u in contact brengen met schuldhulp.",
        ),
    ),
    Topic(
        "klacht", 6, "klantenservice", (("complaint", 10),),
        (
            "Klacht over de service", "Al weken geen antwoord", "Klacht over medewerker",
            "Ontevreden over afhandeling", "Formele klacht",
        ),
        (
            "Ik heb al drie keer gebeld en niemand heeft mij teruggebeld.",
            "Dit is de tweede keer dat ik hierover mail en ik krijg geen antwoord.",
            "De medewerker aan de telefoon was onvriendelijk en heeft mij niet geholpen.",
            "Ik ben zeer ontevreden over hoe mijn vraag is afgehandeld.",
            "Als dit niet snel wordt opgelost, stap ik naar de geschillencommissie.",
            "Ik wil een formele klacht indienen over de gang van zaken.",
        ),
        (
            "Het spijt me dat u zo lang op een antwoord heeft moeten wachten.",
            "Uw klacht is geregistreerd en een teamleider neemt binnen twee werkdagen contact op.",
            "Ik begrijp uw ongenoegen en heb uw dossier met voorrang opgepakt.",
            "Als goedmaker hebben wij {bedrag} op uw rekening gestort.",
        ),
    ),
    Topic(
        "contract", 8, "klantenservice", (("question", 5), ("request", 5)),
        (
            "Contract verlengen", "Overstappen naar vast tarief", "Contract opzeggen",
            "Vraag over mijn contract", "Welkomstbrief niet ontvangen",
        ),
        (
            "Mijn contract loopt in {maand} af, wat zijn mijn mogelijkheden?",
            "Ik wil overstappen van een variabel naar een vast tarief voor drie jaar.",
            "Ik wil mijn contract per {datum} opzeggen omdat ik naar een andere leverancier ga.",
            "Geldt er een opzegvergoeding als ik mijn contract nu beeindig?",
            "Ik heb na het afsluiten van het contract geen welkomstbrief ontvangen.",
            "Wat kost een dynamisch contract ten opzichte van mijn huidige contract?",
        ),
        (
            "Uw nieuwe contract met een vast tarief gaat in op {datum}.",
            "Bij tussentijds opzeggen van een vast contract geldt een opzegvergoeding.",
            "Het aanbod voor verlenging staat in Mijn Omgeving klaar.",
            "Uw contract is opgezegd per {datum}; u ontvangt een eindafrekening.",
        ),
    ),
    Topic(
        "tarieven", 5, "klantenservice", (("question", 9), ("complaint", 1)),
        (
            "Vraag over tarieven", "Tariefwijziging", "Nieuwe tarieven per {maand}",
            "Energiebelasting op nota", "Prijsplafond",
        ),
        (
            "Waarom zijn de tarieven per 1 {maand} verhoogd?",
            "Ik begrijp de opbouw van de tarieven niet, wat is het verschil tussen vastrecht en leveringskosten?",
            "Hoeveel energiebelasting betaal ik per kWh?",
            "De tarieven op mijn nota wijken af van wat op de website staat.",
            "Wat is het verschil tussen enkeltarief en dubbeltarief bij mijn meter?",
        ),
        (
            "De tarieven zijn gewijzigd door hogere inkoopprijzen op de energiemarkt.",
            "Een overzicht van uw tarieven vindt u in Mijn Omgeving onder Contract.",
            "De energiebelasting wordt door de overheid vastgesteld en door ons afgedragen.",
            "Op uw nota staan de tarieven inclusief btw.",
        ),
    ),
    Topic(
        "incasso", 5, "facturen", (("question", 5), ("complaint", 3), ("request", 2)),
        (
            "Dubbele afschrijving", "Incasso mislukt", "Rekeningnummer wijzigen",
            "Terugbetaling niet ontvangen", "Bedrag twee keer afgeschreven",
        ),
        (
            "Deze maand is het termijnbedrag van {bedrag} twee keer afgeschreven.",
            "Ik wil mijn rekeningnummer wijzigen voor de automatische incasso.",
            "De incasso van {maand} is mislukt, hoe kan ik nu betalen?",
            "U zou {bedrag} terugbetalen, maar ik heb nog niets ontvangen.",
            "Ik heb de machtiging voor automatische incasso ingetrokken.",
        ),
        (
            "De dubbele afschrijving van {bedrag} wordt binnen vijf werkdagen teruggestort.",
            "Uw nieuwe rekeningnummer is verwerkt en geldt vanaf de volgende incasso.",
            "U kunt het openstaande bedrag betalen via de betaallink in Mijn Omgeving.",
            "De terugbetaling is op {datum} naar uw rekening overgemaakt.",
        ),
    ),
    Topic(
        "aansluiting", 4, "techniek", (("request", 6), ("question", 4)),
        (
            "Afspraak monteur", "Nieuwe aansluiting", "Gasaansluiting verwijderen",
            "Verzwaring aansluiting", "Meter verplaatsen",
        ),
        (
            "Wij willen onze gasaansluiting laten verwijderen omdat we aardgasvrij worden.",
            "Voor de warmtepomp hebben we een zwaardere aansluiting nodig.",
            "De monteur is niet op de afgesproken tijd gekomen.",
            "Kan de meter in de meterkast verplaatst worden tijdens de verbouwing?",
            "Ik wil een laadpaal plaatsen, is mijn aansluiting daar geschikt voor?",
        ),
        (
            "De afspraak met de monteur staat op {datum} tussen 12.00 en 16.00 uur.",
            "Het verwijderen van de gasaansluiting vraagt u aan bij de netbeheerder.",
            "Voor een verzwaring heeft u een offerte van de netbeheerder nodig.",
            "Excuses dat de monteur niet is gekomen; er is een nieuwe afspraak ingepland.",
        ),
    ),
)

CUSTOMER_GREETINGS = (
    "Beste klantenservice,", "Geachte heer, mevrouw,", "Goedemorgen,", "Goedemiddag,", "Hallo,",
    "Beste,", "Geachte klantenservice,", "",
)
CUSTOMER_FILLERS = (
    "Ik hoor graag zo snel mogelijk van u.", "Alvast bedankt voor de moeite.",
    "Kunt u mij hierover terugbellen?", "Mijn klantnummer is {klantnummer}.",
    "Ik ben overdag telefonisch bereikbaar.",
    "Het gaat om het adres {straat} {huisnummer} in {plaats}.",
    "Graag een schriftelijke bevestiging.", "Ik heb de stukken als bijlage toegevoegd.",
    "Ik wacht op uw reactie.", "Vriendelijk bedankt.",
)
CUSTOMER_FOLLOWUPS = (
    "Bedankt voor uw antwoord.", "Ik heb nog steeds niets gehoord.",
    "Dat is helaas niet de oplossing.", "Ik begrijp uw uitleg, maar heb nog een vraag.",
    "Dit klopt nog steeds niet.", "Fijn, dat is duidelijk.", "Wanneer kan ik dit verwachten?",
    "Hierbij stuur ik de gevraagde gegevens.",
)
CUSTOMER_CLOSINGS = (
    "Met vriendelijke groet,\n{naam}", "Groet,\n{voornaam}", "Mvg {voornaam}",
    "Met vriendelijke groeten,\n{naam}", "Groetjes, {voornaam}", "Hoogachtend,\n{naam}",
)
# fmt: on
CHAT_OPENERS = ("hoi", "hallo", "goedemiddag", "hey", "dag", "")
# fmt: off
AGENT_OPENERS = (
    "Bedankt voor uw bericht.", "Dank voor uw e-mail.", "Fijn dat u contact met ons opneemt.",
    "Excuses voor de late reactie.", "Ik heb uw vraag bekeken.",
)
AGENT_CLOSERS = (
    "Heeft u nog vragen? Dan hoor ik het graag.",
    "Ik hoop u hiermee voldoende te hebben geinformeerd.",
    "Mocht u nog vragen hebben, dan kunt u op dit bericht reageren.", "Ik wens u een fijne dag.",
)
NOTES = (
    "Klant gebeld, geen gehoor. Voicemail ingesproken.",
    "Doorgezet naar facturatie voor correctie.", "Netbeheerder gevraagd om meetdata.",
    "Klant is bekend met een betalingsachterstand.", "Terugbelverzoek ingepland.",
    "Teamleider is op de hoogte.", "Nota handmatig gecorrigeerd.",
    "Monteur ingepland via planning.", "Wacht op bevestiging van de netbeheerder.",
)
# fmt: on


class TextFactory:
    """Makes subjects and message texts. Slots are filled from pools made once, so that a
    message costs a handful of random choices."""

    def __init__(self, rng: random.Random, pool: int = 400) -> None:
        self.rng = rng
        self.topics = TOPICS
        self.topic_weights = [t.weight for t in TOPICS]
        self._pool = pool
        self._filled: dict[tuple[str, str], list[str]] = {}
        self.places = self._make_places()
        # Zipf-like weights: the n-th name is 1/n as likely as the first.
        self.place_cum = _cumulative([1 / (n + 1) for n in range(len(self.places))])

    # --- slot values -------------------------------------------------------------------
    def _make_places(self) -> list[str]:
        rng = random.Random(7)
        names = [h + t for h in _PLACE_HEADS for t in _PLACE_TAILS]
        rng.shuffle(names)
        return names

    def place(self) -> str:
        return self.rng.choices(self.places, cum_weights=self.place_cum)[0]

    def street(self) -> str:
        return self.rng.choice(_STREET_STEMS) + self.rng.choice(_STREET_KINDS)

    def _slots(self) -> dict[str, str]:
        r = self.rng
        euros = r.choice((r.randint(12, 180), r.randint(150, 900), r.randint(900, 2400)))
        return {
            "bedrag": f"€ {euros},{r.randint(0, 99):02d}",
            "stand": str(r.randint(1000, 48000)),
            "stand2": str(r.randint(1000, 30000)),
            "gas": str(r.randint(100, 9000)),
            "meter": f"E{r.randint(10**7, 10**8 - 1)}",
            "maand": r.choice(MONTHS),
            "jaar": str(r.randint(2021, 2025)),
            "datum": f"{r.randint(1, 28)} {r.choice(MONTHS)}",
            "plaats": r.choice(CITIES) if r.random() < 0.8 else self.place(),
            "straat": self.street(),
            "huisnummer": str(r.randint(1, 240)),
            "panelen": str(r.randint(4, 24)),
            "termijnen": str(r.choice((3, 4, 6, 10, 12))),
            "nummer": str(r.randint(10**8, 10**9 - 1)),
            "klantnummer": f"K{r.randint(100001, 999999)}",
        }

    def filled(self, kind: str, templates: Sequence[str]) -> list[str]:
        """A pool of filled-in variants of a group of templates (made on first use)."""
        key = (kind, templates[0])
        pool = self._filled.get(key)
        if pool is None:
            pool = [self.rng.choice(templates).format(**self._slots()) for _ in range(self._pool)]
            self._filled[key] = pool
        return pool

    # --- texts ------------------------------------------------------------------------
    def topic(self) -> Topic:
        return self.rng.choices(self.topics, weights=self.topic_weights)[0]

    def subject(self, topic: Topic) -> str:
        return self.rng.choice(self.filled("subject", topic.subjects))

    def _tail(self) -> list[str]:
        """Occasional uncommon words: a place name, a real but unusual term."""
        r = self.rng
        extra = []
        if r.random() < 0.25:
            extra.append(f"Wij wonen in {self.place()}.")
        if r.random() < 0.04:
            term = r.choice(UNCOMMON_TERMS[1:])
            extra.append(f"Misschien speelt mee dat we sinds kort een {term} hebben.")
        if r.random() < RARE_TERM_RATE:
            extra.append(f"Ook hebben we een {RARE_TERM} laten installeren.")
        return extra

    def customer_message(
        self, topic: Topic, *, first: str, name: str, chatty: bool, follow_up: bool
    ) -> str:
        r = self.rng
        sentences = r.sample(self.filled("customer", topic.customer), r.randint(1, 3))
        if chatty:
            opener = r.choice(CHAT_OPENERS)
            body = " ".join(s[0].lower() + s[1:] for s in sentences[:2])
            return f"{opener} {body}".strip()
        parts = []
        greeting = r.choice(CUSTOMER_GREETINGS)
        if greeting:
            parts.append(greeting)
        lead = [r.choice(CUSTOMER_FOLLOWUPS)] if follow_up else []
        fillers = r.sample(self.filled("filler", CUSTOMER_FILLERS), r.randint(0, 2))
        parts.append(" ".join(lead + sentences + self._tail() + fillers))
        parts.append(r.choice(CUSTOMER_CLOSINGS).format(naam=name, voornaam=first))
        return "\n\n".join(parts)

    def agent_message(
        self,
        topic: Topic,
        *,
        customer_first: str,
        customer_name: str,
        agent: str,
        company: str,
        chatty: bool,
    ) -> str:
        r = self.rng
        sentences = r.sample(self.filled("agent", topic.agent), r.randint(1, 2))
        if chatty:
            return f"Hoi {customer_first}, " + " ".join(sentences)
        salutation = r.choice(
            (f"Beste {customer_name},", f"Beste {customer_first},", "Beste klant,")
        )
        body = " ".join([r.choice(AGENT_OPENERS), *sentences, r.choice(AGENT_CLOSERS)])
        return (
            f"{salutation}\n\n{body}\n\nMet vriendelijke groet,\n{agent}\nKlantenservice {company}"
        )

    def note(self) -> str:
        return self.rng.choice(NOTES)


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = 0.0
    out = []
    for w in weights:
        total += w
        out.append(total)
    return out


def person(index: int) -> tuple[str, str, str]:
    """First name, full name and e-mail address of generated customer `index` (stable)."""
    first = FIRST_NAMES[(index * 7919) % len(FIRST_NAMES)]
    last = LAST_NAMES[(index * 104729 // 7) % len(LAST_NAMES)]
    domain = EMAIL_DOMAINS[(index * 31) % len(EMAIL_DOMAINS)]
    local = f"{first}.{last.replace(' ', '')}".lower()
    return first, f"{first} {last}", f"{local}.{index}@{domain}"
