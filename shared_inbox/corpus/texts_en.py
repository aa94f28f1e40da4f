"""English support topics: what customers write and what agents answer.

Placeholders in braces are filled per message: {order}, {invoice}, {product},
{amount}, {tracking}, {feature}, {bug}, {date}.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Topic:
    key: str
    subjects: tuple[str, ...]
    openings: tuple[str, ...]
    followups: tuple[str, ...]
    answers: tuple[str, ...]
    attachment: str | None = None  # the kind of file customers tend to send: "png" or "pdf"


EN_TOPICS = (
    Topic(
        "order_missing",
        (
            "Order problem",
            "Order problem",
            "Where is my order?",
            "Order #{order} not delivered",
            "Package hasn't arrived",
            "Still waiting for order {order}",
        ),
        (
            "I placed order #{order} on {date} and it still hasn't arrived. The tracking number {tracking} "
            "hasn't updated in four days. Can you check what is going on?",
            "My order ({order}) was supposed to arrive last week. Nothing yet. I need the {product} for a "
            "presentation on Friday, so this is getting urgent.",
            "Hello, the tracking page says my parcel was delivered but there is nothing at my door or with "
            "my neighbours. Order number is {order}.",
        ),
        (
            "Any update on this? It has been three more days.",
            "The tracking still shows the same status. Could you open a claim with the carrier?",
            "It finally arrived this morning, thanks for your help!",
            "I checked with the building manager, nothing there either.",
        ),
        (
            "I'm sorry your order is late. I checked with the carrier: parcel {tracking} is held at their "
            "regional depot because of a labelling problem. I've asked them to reroute it and you should "
            "have it within two business days.",
            "Thanks for your patience. The carrier confirmed the parcel is lost, so I've sent a replacement "
            "by express shipping at no cost. The new tracking number will follow in a separate email.",
            "Good news: the parcel left the depot this morning. You can follow it here with tracking number "
            "{tracking}. Let me know if it doesn't show up by {date}.",
        ),
    ),
    Topic(
        "damaged",
        ("Item arrived damaged", "Broken {product}", "Order problem", "Damaged package"),
        (
            "The {product} from order {order} arrived with a cracked case. The box looked fine from the "
            "outside. I've attached a photo.",
            "Unfortunately the {product} I received doesn't turn on. I tried another cable and another "
            "outlet. Order {order}.",
        ),
        (
            "Here is another picture of the damage.",
            "Do I need to send the broken one back first?",
            "Received the replacement, works perfectly. Thank you!",
        ),
        (
            "I'm sorry about that! I've arranged a replacement {product}; it ships today. No need to return "
            "the damaged one.",
            "Thanks for the photo. Could you send the serial number from the bottom of the device? Then I "
            "can start the warranty replacement right away.",
        ),
        "png",
    ),
    Topic(
        "refund",
        ("Refund request", "Refund for order #{order}", "Money back?", "Refund still not received"),
        (
            "I returned the {product} two weeks ago (order {order}) but I haven't seen the refund of "
            "{amount} yet. When can I expect it?",
            "I'd like to return my order {order}. The {product} is not what I expected. How do I get a "
            "refund?",
        ),
        (
            "My bank says nothing has come in yet.",
            "I can see the refund now, thanks.",
            "Where do I print the return label?",
        ),
        (
            "I've checked your order: the refund of {amount} was issued on {date}. Depending on your bank "
            "it can take 5-10 business days to show up.",
            "Of course. I've emailed you a prepaid return label. Once the parcel is scanned by the carrier, "
            "the refund of {amount} is issued automatically.",
        ),
        "pdf",
    ),
    Topic(
        "login",
        ("Can't log in", "Password reset not working", "Login issue", "Account locked", "Help"),
        (
            "I can't log in to my account anymore. The password reset email never arrives, I checked my "
            "spam folder too.",
            'Every time I try to sign in I get "Invalid session, please retry". I cleared my cookies and '
            "tried two browsers.",
            "My account got locked after I mistyped my password. How do I unlock it?",
        ),
        (
            "Still no reset email, sorry.",
            "That worked, I'm back in. Thanks!",
            "I get the same error on my phone now, see screenshot.",
        ),
        (
            "I've unlocked your account and sent a fresh reset link; it is valid for one hour. If it doesn't "
            "arrive, please add our address to your contacts and let me know.",
            "Thanks for the details. That error appears when the system clock of the device is off by more "
            "than a few minutes. Could you check the time settings and try again?",
        ),
        "png",
    ),
    Topic(
        "billing",
        (
            "Invoice",
            "Charged twice",
            "Wrong amount on invoice {invoice}",
            "Billing question",
            "Question about my invoice",
        ),
        (
            "I was charged twice for my subscription this month, both {amount}. Please refund one of them.",
            "Invoice {invoice} shows {amount} but our plan should be cheaper after the upgrade. Can you "
            "check?",
            "Can you send me an invoice with our company VAT number on it? Our accounting needs it.",
        ),
        (
            "Attached is the bank statement showing both charges.",
            "Thanks, the corrected invoice looks right.",
            "Our VAT number is in the signature below.",
        ),
        (
            "You're right, the second charge was a mistake on our side. I've refunded {amount}; you'll see "
            "it in a few days. Sorry for the trouble!",
            "I've attached the corrected invoice {invoice}. The difference will be credited to your next "
            "invoice.",
        ),
        "pdf",
    ),
    Topic(
        "cancel",
        ("Cancel subscription", "Please cancel my account", "Cancellation", "Cancel"),
        (
            "Please cancel my subscription at the end of the current billing period. Thanks.",
            "We are closing the office and won't need the service anymore. How do I cancel and export our "
            "data first?",
        ),
        ("Thanks, and can you confirm no further charges?", "Export worked, you can cancel now."),
        (
            "I've cancelled your subscription; it stays active until {date} and you won't be charged again.",
            "Sorry to see you go. You can export everything under Settings > Export. Let me know once that "
            "is done and I'll close the account.",
        ),
    ),
    Topic(
        "feature",
        ("Feature request: {feature}", "Suggestion", "Is it possible to {feature}?"),
        (
            "Love the product! One thing we miss: a way to {feature}. Is that on the roadmap?",
            "Our team would really like to {feature}. Right now we work around it with spreadsheets.",
        ),
        ("Thanks, looking forward to it.", "Any news on this one?"),
        (
            "Thanks for the suggestion! I've passed it to our product team. I can't promise a date, but "
            "requests like this one shape what we build next.",
            "Good news: the ability to {feature} is in beta. I've enabled it on your account, feedback "
            "welcome!",
        ),
    ),
    Topic(
        "bug",
        ("Bug: {bug}", "App crashes when {bug}", "Error message", "Something is broken"),
        (
            "The app crashes every time I {bug}. I'm on the latest version. Screenshot attached.",
            'Since yesterday\'s update, when I {bug} I get an error "Something went wrong (code 500)".',
        ),
        (
            "It happened again just now.",
            "Version 4.2.1 fixed it, thanks.",
            "Here are the steps: open the app, log in, then {bug}.",
        ),
        (
            "Thanks for reporting this. Our engineers reproduced it and a fix ships in version 4.2.1, "
            "expected on {date}.",
            "Sorry about that. Could you tell me which device and operating system you use? That helps us "
            "track it down.",
        ),
        "png",
    ),
    Topic(
        "address",
        ("Change shipping address", "Wrong address on order #{order}", "Order problem"),
        (
            "I just noticed I used my old address for order {order}. Can you change it to my new one "
            "before it ships?",
        ),
        ("Thank you!", "Did you manage to change it?"),
        (
            "Done: order {order} will go to the new address. It hasn't shipped yet, so no problem.",
            "Unfortunately the order had already shipped, but I've asked the carrier to redirect it.",
        ),
    ),
    Topic(
        "question",
        ("Question", "Quick question", "Hi", "Help", "Information"),
        (
            "Quick question: does the {product} work with the older model's charger?",
            "Do you ship to Canada? And how long does it usually take?",
            "Is there a student discount?",
        ),
        ("Great, thanks for the quick answer.", "And what about the warranty?"),
        (
            "Yes, it does! Any charger with USB-C Power Delivery works.",
            "We do; delivery to Canada usually takes 5-8 business days.",
            "We offer 20% off with a valid student ID; just reply with a photo of it.",
        ),
    ),
)

PRODUCTS = (
    "Aero 3 headphones",
    "Nimbus router",
    "Orbit smart lamp",
    "Pulse fitness band",
    "Vertex keyboard",
    "Quill tablet",
    "Echo dock",
    "Summit backpack",
)
FEATURES = (
    "export reports to CSV",
    "assign tasks to several people",
    "use dark mode",
    "set up two-factor authentication",
    "share a dashboard with a client",
    "schedule exports",
)
BUGS = (
    "upload a photo",
    "open the settings page",
    "switch accounts",
    "print an invoice",
    "sync with my calendar",
)

CUSTOMER_GREETINGS = ("Hi,", "Hello,", "Hello support team,", "Dear Acme team,", "Hi there,", "")
CUSTOMER_CLOSINGS = (
    "Thanks,\n{first}",
    "Best,\n{name}",
    "Regards,\n{name}",
    "Thank you!\n{first}",
    "Cheers,\n{first}",
    "{first}",
)
AGENT_GREETINGS = (
    "Hi {first},",
    "Hello {first},",
    "Hi {first},\n\nthanks for reaching out.",
    "Hi {first},\n\nthanks for getting back to us.",
)
AGENT_CLOSINGS = (
    "Best regards,\n{agent}\n{brand}",
    "Cheers,\n{agent}",
    "Kind regards,\n{agent}\n{brand}",
    "Let me know if there is anything else I can do.\n\nBest,\n{agent}",
)
MOBILE_SIGNATURES = ("Sent from my iPhone", "Sent from my Android phone", "Sent from my mobile")
