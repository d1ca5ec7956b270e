"""Dutch conversations of the fictional energy supplier Voorbeeld Energie, for `balie load_demo`.

Each topic holds fragments with slots ({bedrag}, {datum}, …) that `demo_data` fills in with a
seeded random generator, so every ticket reads a little differently.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    key: str
    team: str  # team slug
    type: str  # TicketType value
    tags: tuple[str, ...]
    subjects: tuple[str, ...]
    openings: tuple[str, ...]
    replies: tuple[str, ...]
    notes: tuple[str, ...]
    follow_ups: tuple[str, ...]


GREETINGS = (
    "Beste klantenservice,",
    "Goedemiddag,",
    "Hallo,",
    "Goedemorgen,",
    "Geachte heer/mevrouw,",
)
SIGN_OFFS = ("Met vriendelijke groet,", "Groet,", "Alvast bedankt,", "Vriendelijke groeten,")
THANKS = (
    "Dank u wel voor uw bericht.",
    "Bedankt voor uw vraag.",
    "Fijn dat u contact met ons opneemt.",
    "Dank voor uw geduld.",
)
CLOSINGS = (
    "Heeft u nog vragen? Antwoord dan gewoon op dit bericht.",
    "Mocht er nog iets onduidelijk zijn, dan horen wij het graag.",
    "Wij hopen u hiermee voldoende te hebben geïnformeerd.",
)
PLACES = (
    "Amersfoort",
    "Zwolle",
    "Leeuwarden",
    "Deventer",
    "Haarlem",
    "Breda",
    "Tilburg",
    "Delft",
    "Apeldoorn",
    "Groningen",
    "Nijmegen",
    "Alkmaar",
    "Gouda",
    "Middelburg",
    "Venlo",
    "Assen",
)
STREETS = (
    "Dorpsstraat",
    "Kerkweg",
    "Molenlaan",
    "Stationsplein",
    "Lindelaan",
    "Beukenhof",
    "Schoolstraat",
    "Wilhelminastraat",
    "Julianaweg",
    "Havenkade",
    "Prinsengracht",
    "Eikenlaan",
)
MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)

TOPICS: tuple[Topic, ...] = (
    Topic(
        key="jaarafrekening",
        team="facturen",
        type="question",
        tags=("jaarafrekening",),
        subjects=(
            "Vraag over mijn jaarafrekening",
            "Jaarafrekening veel hoger dan verwacht",
            "Jaarafrekening {maand} klopt niet",
        ),
        openings=(
            "Ik heb mijn jaarafrekening ontvangen en moet {bedrag} euro bijbetalen. Dat is veel "
            "meer dan vorig jaar, terwijl we volgens mij niet meer hebben verbruikt. Kunt u "
            "nagaan of de meterstanden goed zijn verwerkt?",
            "Op de jaarafrekening staat een eindstand van {stand_normaal} kWh normaal, maar op "
            "mijn meter stond op de opnamedatum een lager getal. Ik heb een foto van de meter. "
            "Hoe kan ik dit laten corrigeren?",
            "Mijn jaarafrekening geeft een teruggave van {bedrag} euro, maar ik zie nergens "
            "wanneer dat bedrag wordt overgemaakt. Op welke rekening komt het terecht?",
        ),
        replies=(
            "Ik heb uw jaarafrekening nagekeken. De meterstanden die wij hebben gebruikt komen "
            "van uw netbeheerder. Wilt u een foto van uw meter sturen met de huidige stand? Dan "
            "laten wij de afrekening opnieuw berekenen.",
            "Uw teruggave van {bedrag} euro wordt binnen tien werkdagen overgemaakt naar het "
            "rekeningnummer waarmee u het voorschot betaalt.",
            "Na controle blijkt dat er een geschatte stand is gebruikt. Wij hebben de stand "
            "aangepast en u ontvangt binnen enkele dagen een gecorrigeerde jaarafrekening.",
        ),
        notes=(
            "Meterstand bij netbeheerder opgevraagd, wacht op bevestiging.",
            "Geschatte stand gebruikt bij opname, correctie ingediend bij afdeling Facturen.",
            "Klant eerder dit jaar ook gebeld over voorschot; zie vorige ticket.",
        ),
        follow_ups=(
            "Hierbij de foto van de meter, de stand is vandaag {stand_normaal} kWh.",
            "Dank voor de snelle reactie. Ik wacht de nieuwe afrekening af.",
            "Ik heb nog steeds niets ontvangen. Wanneer kan ik het bedrag verwachten?",
        ),
    ),
    Topic(
        key="voorschot",
        team="facturen",
        type="request",
        tags=("voorschot",),
        subjects=(
            "Voorschotbedrag aanpassen",
            "Maandbedrag te hoog",
            "Verzoek lager termijnbedrag",
        ),
        openings=(
            "Ons maandelijkse voorschot is {bedrag} euro. Sinds we zonnepanelen hebben verbruiken "
            "we veel minder. Kan het termijnbedrag omlaag naar {nieuw_bedrag} euro?",
            "Ik wil graag mijn voorschotbedrag verhogen, want ik verwacht na deze winter een "
            "flinke naheffing. Graag vanaf {maand} {nieuw_bedrag} euro per maand.",
            "Waarom is mijn voorschot per {maand} verhoogd? Ik heb daar geen bericht over gehad.",
        ),
        replies=(
            "Wij hebben uw voorschotbedrag aangepast naar {nieuw_bedrag} euro per maand. De "
            "wijziging gaat in bij de eerstvolgende incasso.",
            "Het voorschot is verhoogd omdat de energiebelasting en de tarieven zijn gewijzigd. "
            "U kunt het bedrag zelf aanpassen in de app, binnen de grenzen van uw verwachte "
            "verbruik.",
            "Een lager voorschot kan, maar houd er rekening mee dat u dan bij de jaarafrekening "
            "mogelijk moet bijbetalen. Wilt u dat ik het toch aanpas?",
        ),
        notes=(
            "Voorschot gewijzigd in facturatiesysteem, ingangsdatum volgende maand.",
            "Verwacht verbruik opnieuw berekend op basis van laatste twaalf maanden.",
        ),
        follow_ups=(
            "Ja, graag toch aanpassen naar {nieuw_bedrag} euro.",
            "Duidelijk, dan laat ik het zo. Bedankt voor de uitleg.",
        ),
    ),
    Topic(
        key="meterstanden",
        team="klantenservice",
        type="report",
        tags=("meterstanden",),
        subjects=("Meterstanden doorgeven", "Meterstand {maand}", "Meterstanden na verhuizing"),
        openings=(
            "Hierbij mijn meterstanden van vandaag: normaal {stand_normaal} kWh, dal {stand_dal} "
            "kWh en gas {gas} m³.",
            "Ik kreeg een brief dat ik mijn meterstanden moet doorgeven, maar in de app lukt het "
            "niet: ik krijg een foutmelding. Mijn standen zijn {stand_normaal} en {stand_dal}.",
            "Moet ik de meterstanden elk jaar zelf doorgeven of leest de slimme meter dat "
            "automatisch uit?",
        ),
        replies=(
            "Wij hebben uw meterstanden verwerkt. U hoeft verder niets te doen.",
            "Met een slimme meter ontvangen wij de standen automatisch van de netbeheerder. Bij "
            "een oude meter vragen wij u eenmaal per jaar om de standen.",
            "Excuses voor de foutmelding in de app; dat probleem is inmiddels opgelost. Uw "
            "standen heb ik handmatig ingevoerd.",
        ),
        notes=(
            "Standen handmatig ingevoerd, plausibiliteitscontrole akkoord.",
            "Melding app-fout doorgezet naar team digitaal.",
        ),
        follow_ups=("Top, dank u wel!", "Krijg ik hier nog een bevestiging van per mail?"),
    ),
    Topic(
        key="verhuizing",
        team="klantenservice",
        type="request",
        tags=("verhuizing",),
        subjects=("Verhuizing doorgeven", "Ik ga verhuizen per {datum}", "Nieuw adres"),
        openings=(
            "Wij verhuizen op {datum} naar de {straat} {huisnummer} in {plaats}. Kunnen we ons "
            "energiecontract meenemen naar het nieuwe adres?",
            "Per {datum} woon ik niet meer op mijn huidige adres. Ik wil het contract daar "
            "beëindigen en op mijn nieuwe adres in {plaats} opnieuw starten.",
            "Ik ga samenwonen en verhuis naar {plaats}. Mijn partner heeft al een contract bij "
            "een andere leverancier. Wat moet ik doen met mijn contract?",
        ),
        replies=(
            "Wij hebben uw verhuizing verwerkt. Geef op de verhuisdatum de meterstanden van "
            "beide adressen door; u ontvangt daarna een eindafrekening voor het oude adres.",
            "Uw contract verhuist mee naar de {straat} in {plaats}, met dezelfde tarieven. U "
            "ontvangt een bevestiging met het nieuwe voorschotbedrag.",
            "Als u bij uw partner intrekt, kunnen wij uw contract kosteloos beëindigen op de "
            "verhuisdatum. Wilt u dat?",
        ),
        notes=(
            "Verhuisformulier verwerkt, leveringsstart nieuw adres aangevraagd bij netbeheerder.",
            "Eindafrekening oud adres volgt na ontvangst eindstanden.",
        ),
        follow_ups=(
            "De meterstanden van het oude adres zijn {stand_normaal} en {stand_dal}.",
            "Ja, graag beëindigen per {datum}.",
        ),
    ),
    Topic(
        key="storing",
        team="techniek",
        type="incident",
        tags=("storing",),
        subjects=(
            "Storing: geen stroom",
            "Stroomstoring in {plaats}",
            "Gasstoring, geen warm water",
        ),
        openings=(
            "Sinds vanochtend hebben wij geen stroom in huis. De buren hebben ook niets. Is er "
            "een storing bekend in {plaats}?",
            "Onze aardlekschakelaar slaat steeds door. Ik heb alle apparaten losgekoppeld, maar "
            "het probleem blijft. Kan er een monteur komen?",
            "Er komt geen gas meer uit het fornuis en de ketel geeft storingscode {storingscode}. "
            "Wat kan ik doen?",
        ),
        replies=(
            "Er is inderdaad een storing in uw wijk. De netbeheerder is bezig met het herstel en "
            "verwacht dat de stroom binnen enkele uren terug is.",
            "Een storing in de huisinstallatie valt helaas buiten onze levering. Wij raden u aan "
            "een erkend installateur in te schakelen.",
            "Bij een gasstoring belt u het landelijke storingsnummer van de netbeheerder. Ruikt "
            "u gas? Verlaat dan direct de woning.",
        ),
        notes=(
            "Storing bij netbeheerder bevestigd, incidentnummer genoteerd.",
            "Klant teruggebeld: stroom is weer terug.",
            "Lijkt huisinstallatie, klant doorverwezen naar installateur.",
        ),
        follow_ups=(
            "De stroom is weer terug, dank u.",
            "Het is nog steeds niet opgelost. Wanneer komt er iemand?",
        ),
    ),
    Topic(
        key="slimme-meter",
        team="techniek",
        type="question",
        tags=("slimme-meter",),
        subjects=(
            "Slimme meter geeft geen standen door",
            "Vraag over slimme meter",
            "Slimme meter installeren",
        ),
        openings=(
            "Mijn slimme meter geeft sinds {maand} geen standen meer door. In de app zie ik "
            "alleen geschat verbruik.",
            "Ik wil graag een slimme meter. Kost dat iets en hoe lang duurt het voordat er een "
            "monteur komt?",
            "Het display van de slimme meter staat uit en er knippert een rood lampje. Is dat erg?",
        ),
        replies=(
            "De netbeheerder plaatst de slimme meter kosteloos. Wij hebben de aanvraag voor u "
            "ingediend; u wordt gebeld voor een afspraak.",
            "Wij zien dat de communicatie met uw meter is weggevallen. De netbeheerder is "
            "gevraagd de meter op afstand opnieuw te starten.",
            "Een knipperend lampje betekent meestal dat de meter stroom teruglevert of even geen "
            "verbinding heeft. Blijft het zo, laat het ons dan weten.",
        ),
        notes=(
            "Storingsmelding communicatie slimme meter ingediend bij netbeheerder.",
            "Aanvraag plaatsing slimme meter verstuurd.",
        ),
        follow_ups=("De meter doet het weer, bedankt!", "Er is nog niemand geweest."),
    ),
    Topic(
        key="teruglevering",
        team="facturen",
        type="question",
        tags=("zonnepanelen", "teruglevering"),
        subjects=(
            "Teruglevering zonnepanelen",
            "Terugleverkosten op mijn rekening",
            "Zonnepanelen aangemeld, wat nu?",
        ),
        openings=(
            "Wij hebben sinds {maand} {panelen} zonnepanelen. Hoe wordt de teruglevering "
            "verrekend en moet ik dat ergens aanmelden?",
            "Op mijn afrekening staan terugleverkosten van {bedrag} euro. Waarom moet ik betalen "
            "voor stroom die ik zelf opwek?",
            "Ik lever meer terug dan ik verbruik. Krijg ik daar een vergoeding voor?",
        ),
        replies=(
            "Teruggeleverde stroom wordt verrekend met uw verbruik. Meldt u uw panelen wel aan "
            "bij energieleveren.nl, dan wordt uw meter goed ingesteld.",
            "De terugleverkosten dekken de kosten die wij maken voor de stroom die u terug het "
            "net op stuurt. Het bedrag hangt af van hoeveel u teruglevert.",
            "Levert u meer terug dan u verbruikt, dan ontvangt u voor het overschot de "
            "terugleververgoeding uit uw contract.",
        ),
        notes=(
            "Uitleg terugleverkosten gegeven, klant niet tevreden: mogelijk klacht.",
            "Panelen staan nog niet geregistreerd, klant gewezen op aanmelding.",
        ),
        follow_ups=(
            "Ik vind het vreemd dat ik moet betalen voor duurzame stroom.",
            "Aangemeld, dank voor de tip.",
        ),
    ),
    Topic(
        key="betalingsregeling",
        team="facturen",
        type="request",
        tags=("betalingsregeling",),
        subjects=(
            "Verzoek betalingsregeling",
            "Kan ik in termijnen betalen?",
            "Aanmaning ontvangen",
        ),
        openings=(
            "Ik moet {bedrag} euro bijbetalen en dat kan ik niet in één keer. Is een "
            "betalingsregeling mogelijk?",
            "Ik heb een aanmaning gekregen, maar ik heb de factuur van {maand} wel betaald. "
            "Kunt u dat controleren?",
            "Door omstandigheden heb ik een betalingsachterstand. Ik wil graag afspraken maken "
            "zodat het niet verder oploopt.",
        ),
        replies=(
            "Wij kunnen het bedrag van {bedrag} euro verdelen over {termijnen} maanden. U "
            "ontvangt een voorstel per e-mail; na uw akkoord gaat de regeling in.",
            "Uw betaling is inderdaad binnengekomen, maar later verwerkt. De aanmaning kunt u "
            "als niet verzonden beschouwen.",
            "Goed dat u contact opneemt. Wij zetten de incasso een maand stil en stellen samen "
            "met u een regeling op.",
        ),
        notes=(
            "Betalingsregeling {termijnen} termijnen vastgelegd, incasso aangepast.",
            "Betaling teruggevonden, aanmaning ingetrokken.",
            "Klant mogelijk in aanmerking voor schuldhulp, informatie meegestuurd.",
        ),
        follow_ups=("Akkoord met het voorstel.", "Dank voor uw begrip."),
    ),
    Topic(
        key="klacht",
        team="klantenservice",
        type="complaint",
        tags=("klacht",),
        subjects=(
            "Klacht over de klantenservice",
            "Ontevreden over afhandeling",
            "Klacht: nog steeds geen reactie",
        ),
        openings=(
            "Ik heb drie keer gebeld over mijn afrekening en elke keer wordt beloofd dat ik "
            "teruggebeld word. Dat is niet gebeurd. Ik wil hierover een klacht indienen.",
            "Mijn verhuizing is verkeerd verwerkt en nu krijg ik rekeningen voor twee adressen. "
            "Ik ben hier erg ontevreden over.",
            "Op {datum} heb ik een e-mail gestuurd en ik heb nog steeds geen antwoord gehad. Dit "
            "vind ik niet acceptabel.",
        ),
        replies=(
            "Het spijt mij dat u zo lang heeft moeten wachten. Ik heb uw dossier overgenomen en "
            "zorg dat dit deze week wordt opgelost. Als excuus ontvangt u een vergoeding van "
            "{vergoeding} euro.",
            "U heeft gelijk, dit had anders moeten gaan. De dubbele rekening is ingetrokken en "
            "de verhuizing is alsnog goed verwerkt.",
        ),
        notes=(
            "Klacht geregistreerd, teamleider geïnformeerd.",
            "Vergoeding {vergoeding} euro goedgekeurd door teamleider.",
        ),
        follow_ups=(
            "Dank u, zo had het vanaf het begin moeten gaan.",
            "Ik accepteer de excuses.",
        ),
    ),
    Topic(
        key="contract",
        team="klantenservice",
        type="question",
        tags=("contract",),
        subjects=("Vraag over mijn contract", "Contract verlengen", "Overstappen naar vast tarief"),
        openings=(
            "Mijn contract loopt in {maand} af. Welke aanbiedingen heeft u voor een verlenging?",
            "Ik heb nu een variabel tarief. Kan ik overstappen naar een vast contract voor drie "
            "jaar?",
            "Ik wil mijn contract opzeggen omdat ik naar een andere leverancier ga. Is er een "
            "opzegvergoeding?",
        ),
        replies=(
            "U ontvangt binnenkort een persoonlijk verlengingsaanbod. Wilt u nu al kiezen, dan "
            "kan dat in de app onder Mijn contract.",
            "Overstappen naar een vast tarief kan op elk moment. Het nieuwe contract gaat in op "
            "de eerste dag van de volgende maand.",
            "Voor een contract met een variabel tarief geldt geen opzegvergoeding. Uw nieuwe "
            "leverancier regelt de opzegging voor u.",
        ),
        notes=("Verlengingsaanbod verstuurd.", "Retentieaanbod besproken, klant denkt erover na."),
        follow_ups=("Ik kies voor het vaste contract.", "Dank, ik laat het nog weten."),
    ),
)
