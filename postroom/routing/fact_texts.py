"""Word the request for missing troubleshooting facts, in the customer's language.

The automatic acknowledgement asks only for what `facts.facts_missing` found missing, as
a short bulleted list: one phrase per fact kind that says where to find the detail when
that helps. Written for en, de, fr, es, pt (Brazilian usage, the larger readership),
it and nl, in the polite form a support team uses (Sie, vous, usted, você, Lei, u);
any other language gets English.
"""

from __future__ import annotations

from collections.abc import Sequence

from postroom.routing.facts import FACT_KINDS, FACT_LABELS

DEFAULT_LANGUAGE = "en"
BULLET = "–"

# "To help us … please reply with:" — the line above the list.
_INTROS: dict[str, str] = {
    "en": "To help us solve this faster, please reply with:",
    "de": "Damit wir Ihnen schneller helfen können, senden Sie uns bitte noch:",
    "fr": "Pour que nous puissions vous aider plus rapidement, merci de nous indiquer en réponse\u00a0:",
    "es": "Para poder ayudarle más rápido, responda a este mensaje indicándonos:",
    "pt": "Para resolvermos isso mais rápido, responda a este e-mail informando:",
    "it": "Per aiutarla più rapidamente, le chiediamo di rispondere indicando:",
    "nl": "Om u sneller te kunnen helpen, vragen we u in uw antwoord te vermelden:",
}

_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "product": "the exact model of your device (printed on the box or on the back of the device)",
        "firmware_version": "the firmware version of your device (usually under Settings › About)",
        "app_version": "the version of our app (in the app under Settings › About, or on its page in the App Store or Google Play)",
        "phone_model": "the make and model of your phone, e.g. iPhone 15 or Galaxy S23",
        "os": "the operating system and its version, e.g. iOS 17.4 or Android 14",
        "error_code": "the exact error code or message you see, if any (a screenshot is fine too)",
        "serial_number": "the serial number of your device (on the back of the device or on the box, often marked S/N)",
        "order_number": "your order number (in your order confirmation email)",
        "purchase_date": "the date of purchase (a copy of the receipt or invoice helps too)",
    },
    "de": {
        "product": "das genaue Modell Ihres Geräts (steht auf der Verpackung oder auf der Rückseite des Geräts)",
        "firmware_version": "die Firmware-Version Ihres Geräts (meist unter Einstellungen › Info)",
        "app_version": "die Version unserer App (in der App unter Einstellungen › Info oder auf ihrer Seite im App Store bzw. bei Google Play)",
        "phone_model": "Hersteller und Modell Ihres Smartphones, z.\u00a0B. iPhone 15 oder Galaxy S23",
        "os": "das Betriebssystem mit Versionsnummer, z.\u00a0B. iOS 17.4 oder Android 14",
        "error_code": "den genauen Fehlercode oder die Fehlermeldung, falls angezeigt (gern auch als Screenshot)",
        "serial_number": "die Seriennummer Ihres Geräts (auf der Rückseite des Geräts oder auf der Verpackung, oft mit „S/N“ gekennzeichnet)",
        "order_number": "Ihre Bestellnummer (steht in Ihrer Bestellbestätigung)",
        "purchase_date": "das Kaufdatum (gern mit einer Kopie des Kaufbelegs)",
    },
    "fr": {
        "product": "le modèle exact de votre appareil (indiqué sur l'emballage ou au dos de l'appareil)",
        "firmware_version": "la version du micrologiciel (firmware) de votre appareil (en général dans Réglages › À propos)",
        "app_version": "la version de notre application (dans l'application, sous Réglages › À propos, ou sur sa page dans l'App Store ou Google Play)",
        "phone_model": "la marque et le modèle de votre téléphone, par exemple iPhone 15 ou Galaxy S23",
        "os": "le système d'exploitation et sa version, par exemple iOS 17.4 ou Android 14",
        "error_code": "le code ou le message d'erreur exact qui s'affiche, le cas échéant (une capture d'écran convient aussi)",
        "serial_number": "le numéro de série de votre appareil (au dos de l'appareil ou sur l'emballage, souvent précédé de «\u00a0S/N\u00a0»)",
        "order_number": "votre numéro de commande (il figure dans l'e-mail de confirmation de commande)",
        "purchase_date": "la date d'achat (une copie de la facture ou du ticket de caisse nous aide aussi)",
    },
    "es": {
        "product": "el modelo exacto de su dispositivo (figura en la caja o en la parte trasera del dispositivo)",
        "firmware_version": "la versión de firmware de su dispositivo (normalmente en Ajustes › Información)",
        "app_version": "la versión de nuestra aplicación (en la aplicación, en Ajustes › Información, o en su página del App Store o Google Play)",
        "phone_model": "la marca y el modelo de su teléfono, por ejemplo iPhone 15 o Galaxy S23",
        "os": "el sistema operativo y su versión, por ejemplo iOS 17.4 o Android 14",
        "error_code": "el código o mensaje de error exacto que aparece, si lo hay (también nos sirve una captura de pantalla)",
        "serial_number": "el número de serie de su dispositivo (en la parte trasera del dispositivo o en la caja, a menudo indicado como «S/N»)",
        "order_number": "su número de pedido (aparece en el correo de confirmación del pedido)",
        "purchase_date": "la fecha de compra (una copia del recibo o de la factura también nos ayuda)",
    },
    "pt": {
        "product": "o modelo exato do seu dispositivo (indicado na caixa ou na parte de trás do dispositivo)",
        "firmware_version": "a versão do firmware do seu dispositivo (normalmente em Configurações › Sobre)",
        "app_version": "a versão do nosso aplicativo (no aplicativo, em Configurações › Sobre, ou na página dele na App Store ou no Google Play)",
        "phone_model": "a marca e o modelo do seu celular, por exemplo iPhone 15 ou Galaxy S23",
        "os": "o sistema operacional e a versão, por exemplo iOS 17.4 ou Android 14",
        "error_code": "o código ou a mensagem de erro exata que aparece, se houver (uma captura de tela também ajuda)",
        "serial_number": "o número de série do seu dispositivo (na parte de trás do dispositivo ou na caixa, geralmente indicado como S/N)",
        "order_number": "o número do seu pedido (está no e-mail de confirmação do pedido)",
        "purchase_date": "a data da compra (uma cópia da nota fiscal ou do recibo também ajuda)",
    },
    "it": {
        "product": "il modello esatto del dispositivo (riportato sulla confezione o sul retro del dispositivo)",
        "firmware_version": "la versione del firmware del dispositivo (di solito in Impostazioni › Info)",
        "app_version": "la versione della nostra app (nell'app, in Impostazioni › Info, oppure nella sua pagina su App Store o Google Play)",
        "phone_model": "marca e modello del suo telefono, ad esempio iPhone 15 o Galaxy S23",
        "os": "il sistema operativo e la relativa versione, ad esempio iOS 17.4 o Android 14",
        "error_code": "il codice o il messaggio di errore esatto, se compare (va bene anche uno screenshot)",
        "serial_number": "il numero di serie del dispositivo (sul retro del dispositivo o sulla confezione, spesso indicato con «S/N»)",
        "order_number": "il numero d'ordine (lo trova nell'e-mail di conferma dell'ordine)",
        "purchase_date": "la data di acquisto (ci è utile anche una copia dello scontrino o della fattura)",
    },
    "nl": {
        "product": "het exacte model van uw apparaat (staat op de verpakking of op de achterkant van het apparaat)",
        "firmware_version": "de firmwareversie van uw apparaat (meestal te vinden onder Instellingen › Over)",
        "app_version": "de versie van onze app (in de app onder Instellingen › Over, of op de pagina van de app in de App Store of Google Play)",
        "phone_model": "het merk en model van uw telefoon, bijvoorbeeld iPhone 15 of Galaxy S23",
        "os": "het besturingssysteem en de versie ervan, bijvoorbeeld iOS 17.4 of Android 14",
        "error_code": "de exacte foutcode of foutmelding die u ziet, als die er is (een screenshot mag ook)",
        "serial_number": "het serienummer van uw apparaat (op de achterkant van het apparaat of op de verpakking, vaak aangeduid met S/N)",
        "order_number": "uw bestelnummer (staat in de bevestigingsmail van uw bestelling)",
        "purchase_date": "de aankoopdatum (een kopie van de kassabon of factuur helpt ook)",
    },
}

_LABELS: dict[str, dict[str, str]] = {
    "en": FACT_LABELS,
    "de": {
        "product": "Produkt",
        "firmware_version": "Firmware-Version",
        "app_version": "App-Version",
        "phone_model": "Smartphone-Modell",
        "os": "Betriebssystem",
        "error_code": "Fehlercode",
        "serial_number": "Seriennummer",
        "order_number": "Bestellnummer",
        "purchase_date": "Kaufdatum",
    },
    "fr": {
        "product": "Produit",
        "firmware_version": "Version du micrologiciel",
        "app_version": "Version de l'application",
        "phone_model": "Modèle de téléphone",
        "os": "Système d'exploitation",
        "error_code": "Code d'erreur",
        "serial_number": "Numéro de série",
        "order_number": "Numéro de commande",
        "purchase_date": "Date d'achat",
    },
    "es": {
        "product": "Producto",
        "firmware_version": "Versión de firmware",
        "app_version": "Versión de la aplicación",
        "phone_model": "Modelo de teléfono",
        "os": "Sistema operativo",
        "error_code": "Código de error",
        "serial_number": "Número de serie",
        "order_number": "Número de pedido",
        "purchase_date": "Fecha de compra",
    },
    "pt": {
        "product": "Produto",
        "firmware_version": "Versão do firmware",
        "app_version": "Versão do aplicativo",
        "phone_model": "Modelo do celular",
        "os": "Sistema operacional",
        "error_code": "Código de erro",
        "serial_number": "Número de série",
        "order_number": "Número do pedido",
        "purchase_date": "Data da compra",
    },
    "it": {
        "product": "Prodotto",
        "firmware_version": "Versione del firmware",
        "app_version": "Versione dell'app",
        "phone_model": "Modello di telefono",
        "os": "Sistema operativo",
        "error_code": "Codice di errore",
        "serial_number": "Numero di serie",
        "order_number": "Numero d'ordine",
        "purchase_date": "Data di acquisto",
    },
    "nl": {
        "product": "Product",
        "firmware_version": "Firmwareversie",
        "app_version": "App-versie",
        "phone_model": "Telefoonmodel",
        "os": "Besturingssysteem",
        "error_code": "Foutcode",
        "serial_number": "Serienummer",
        "order_number": "Bestelnummer",
        "purchase_date": "Aankoopdatum",
    },
}

LANGUAGES: tuple[str, ...] = tuple(_INTROS)


def _language(language: str) -> str:
    """Return the supported language for a tag ("pt-BR" -> "pt"), else English."""
    base = language.replace("_", "-").split("-")[0].lower()
    return base if base in _INTROS else DEFAULT_LANGUAGE


def _check_kind(kind: str) -> None:
    """Raise ValueError for a kind that facts.py does not know."""
    if kind not in FACT_KINDS:
        raise ValueError(f"unknown fact kind: {kind!r}")


def fact_label(kind: str, language: str) -> str:
    """Return the short name of a fact kind ("Seriennummer") in a language, else English."""
    _check_kind(kind)
    return _LABELS[_language(language)][kind]


def missing_details_request(*, language: str, kinds: Sequence[str]) -> str:
    """Return the paragraph asking for the missing facts as a list, or "" when none is missing.

    Kinds are listed in the order given, each once; an unknown kind raises ValueError.
    """
    for kind in kinds:
        _check_kind(kind)
    wanted = list(dict.fromkeys(kinds))
    if not wanted:
        return ""
    code = _language(language)
    lines = [_INTROS[code], *(f"{BULLET} {_PHRASES[code][kind]}" for kind in wanted)]
    return "\n".join(lines)
