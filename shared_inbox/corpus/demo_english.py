"""English-speaking customers of the demo mailbox (format: see demo_script)."""

ENGLISH_SCRIPT = r"""
=== Hannah Becker <hannah.becker@northwind.example> | outlook | en | -300 | utf-8
Subject: Order problem
--- 52 customer
Hi,

my order #48213 arrived without the charging cable. The box was sealed, so I think it was never \
packed.

Could you send one?

Thanks,
Hannah
--- 49.5 Dana
Hi Hannah,

sorry about that! A cable is on its way and should arrive by Thursday. No need to send anything \
back.

Best regards,
Dana
Acme Support
--- 3 customer
Hi Dana,

the cable came today, everything works. Thanks for the quick help!

Hannah

=== Tom Okafor <tom@okafor-design.example> | apple | en | 60 | utf-8
Subject: Order problem
--- 30 customer
Hello,

I ordered two Vertex keyboards (order 51877) but was charged for three. Can you check?

Tom Okafor
Okafor Design

=== Priya Patel <priya@globex.example> | gmail | en | 330 | utf-8
Subject: Can't log in
--- 9 customer [png: screenshot.png]
Hi there,

since this morning I get "Invalid session, please retry" when I log in. I tried Chrome and \
Firefox. Screenshot attached.

Thanks,
Priya

=== Carlos Garcia <carlos.garcia@initech.example> | html_only | en | -480 | utf-8
Subject: Charged twice
--- 40 customer
Hello,

My card was charged twice for the Pro plan this month ($49.00 each). Please refund one.

Carlos
--- 38 Sam
Hi Carlos,

you're right, the second charge was our mistake. I've refunded $49.00; you'll see it within 5 \
business days.

Cheers,
Sam
--- 12 customer
Thanks Sam. Could you also send me an invoice for the remaining charge?

Carlos

=== Mary Johnson <mjohnson@postbox.example> | mobile | en | -240 | utf-8
Subject: Where is my order?
--- 6 customer
Hi, my order 58821 was supposed to arrive yesterday. Any news?

Mary

Sent from my iPhone

=== Olumide Adeyemi <olumide@hooli.example> | gmail | en | 60 | utf-8
Subject: Feature request: export reports to CSV
--- 120 customer
Hi Acme team,

we love the dashboards, but our finance team needs the monthly report as CSV. Is that on the \
roadmap?

Best,
Olumide
--- 100 Marco
Hi Olumide,

thanks for the suggestion! CSV export is in beta; I've enabled it on your account. You'll find \
it under Reports > Export.

Cheers,
Marco
--- 96 customer
Wow, that was fast. It works great, thank you!

Olumide

=== Siobhan MacLeod <siobhan@freemail.example> | legacy | en | 0 | utf-8
Subject: Item arrived damaged
--- 60 customer [png: IMG_4471.png]
Hello,

the Orbit lamp from order 44107 arrived with a cracked shade. Photo attached.

Siobhan
--- 58 Dana
Hi Siobhan,

I'm sorry! A replacement ships today. Please keep or recycle the broken one.

Best regards,
Dana
Acme Support
--- 10 customer
Hi Dana,

the new one arrived but it flickers when dimmed. Is that normal?

Siobhan

=== Wei Chen <wei.chen@stark-industries.example> | outlook | en | 480 | utf-8
Subject: Cancel subscription
--- 200 customer
Hello,

please cancel our team subscription at the end of this billing period.

Regards,
Wei Chen
--- 190 Sam
Hi Wei,

done: your subscription stays active until the 30th and won't renew. Sorry to see you go!

Cheers,
Sam

=== Daniel Lee <daniel.lee@umbrella.example> | apple | en | -300 | utf-8
Subject: Quick question
--- 4 customer
Hi,

does the Nimbus router support WPA3?

Thanks,
Daniel

=== Fatima Rahman <fatima.rahman@inbox.example> | gmail | en | 0 | utf-8
Subject: Invoice
--- 150 customer
Hello,

could you resend the invoice for March? I can't find it in my account.

Fatima
--- 148 Dana [pdf: invoice-INV-2026-00318.pdf | Invoice 318]
Hi Fatima,

here it is. You can always find invoices under Settings > Billing.

Best,
Dana

=== Mateo Rossi <mateo.rossi@freemail.example> | mobile | en | 60 | utf-8
Subject: Help
--- 1 customer
App keeps crashing when I upload a photo. Latest version. Please help!

Sent from my Android phone

=== Elizabeth Hall <ehall@northwind.example> | outlook | en | -300 | utf-8
Subject: Order problem
Cc: Purchasing <purchasing@northwind.example>
--- 33 customer
Hello,

the Summit backpack I received is blue, but I ordered black (order 61290). How can I exchange it?

Kind regards,
Elizabeth Hall
Northwind Traders
--- 31 Marco
Hi Elizabeth,

sorry for the mix-up! I've emailed you a prepaid return label; the black one ships as soon as \
the carrier scans the parcel.

Cheers,
Marco
--- 8 customer
Thank you Marco, I dropped the parcel off this morning.

Elizabeth

=== Ingrid Nilsen <ingrid.nilsen@inbox.example> | gmail | en | 60 | utf-8
Subject: Student discount
--- 14 form
Hi! Do you offer a student discount on the Quill tablet? I start university in September.
--- 13 Sam
Hi Ingrid,

yes: 20% off with a valid student ID. Reply with a photo of it and I'll send you a code.

Cheers,
Sam
--- 11 customer [png: student-id.png]
Great, here is my student card.

Ingrid

=== Robert Smith <bob.smith@postbox.example> | legacy | en | -360 | utf-8
Subject: Password reset not working
--- 28 customer
The password reset email never arrives. Checked spam too.

Bob
--- 27 Dana
Hi Bob,

I've sent a fresh reset link. If it doesn't arrive within ten minutes, please add support@ to \
your contacts and tell me.

Best,
Dana
--- 26 customer
Still nothing.

Bob
--- 25.5 Dana
Hi Bob,

it looks like your provider rejects our mail. I've reset your password manually; the temporary \
one is in a text message to your phone.

Best,
Dana
--- 5 customer
Got it, I'm in. Thanks!

Bob

===  <noreply-orders@hooli.example> | legacy | en | 0 | utf-8
Subject: Purchase order PO-88213
--- 70 customer [pdf: PO-88213.pdf | Purchase order 88213]
Please find attached purchase order PO-88213 for 12 Echo docks.

This is an automated message from the Hooli procurement system.

=== Sarah Thompson <sarah.t@globex.example> | gmail | en | -300 | utf-8
Subject: Bulk order for our office
--- 100 customer
Hi,

we'd like to order 40 Pulse fitness bands for our wellness programme. Do you offer volume pricing?

Best,
Sarah Thompson
HR, Globex
--- 98 Petra [pdf: quote-globex.pdf | Quote Globex]
Hi Sarah,

we do: 15% off from 25 units. I've attached a quote valid for 30 days.

Kind regards,
Petra
Acme Support
--- 50 customer
Thanks Petra! Could you do 20% if we add 10 Echo docks?

Sarah
--- 47 Petra
Hi Sarah,

18% is the best I can do for that bundle. Shall I send the updated quote?

Kind regards,
Petra

=== James Wilson <jwilson@initech.example> | gmail | en | -300 | utf-8
Subject: Bug: app crashes when I switch accounts
--- 170 customer
Hi,

the iOS app crashes every time I switch between my two accounts. Version 4.2.0, iPhone 14.

James
--- 160 Sam
Hi James,

thanks for the report! Our engineers reproduced it; the fix is in 4.2.1, coming next week.

Cheers,
Sam
--- 20 customer
Updated to 4.2.1, works now. Thanks!

James

=== Growth Hacker <deals@seo-wizards.example> | html_only | en | 0 | utf-8
Subject: Rank #1 on Google in 7 days!!!
--- 15 customer
Dear website owner,

We noticed your site is not ranking. Our SEO experts guarantee first page results. Reply now for \
a FREE audit!

Best,
The SEO Wizards

=== Lisa Martin <lisa.martin@freemail.example> | apple | en | -240 | utf-8
Subject: Change shipping address
--- 2 customer
Hi,

I just ordered (order 62019) and used my old address by mistake. New address: 14 Elm Street, \
Springfield. Can you change it before it ships?

Thanks!
Lisa

=== Nancy Clark <nancy.clark@inbox.example> | gmail | en | -360 | utf-8
Subject: Warranty question
--- 90 customer
Hello,

my Aero 3 headphones are 14 months old and the left side stopped working. Are they still under \
warranty?

Nancy
--- 88 Marco
Hi Nancy,

yes, the warranty is 24 months. Could you send the serial number from the inside of the headband?

Cheers,
Marco

=== Raj Kumar <raj.kumar@stark-industries.example> | outlook | en | 330 | utf-8
Subject: Two-factor authentication
--- 36 customer
Hi,

our security team requires two-factor authentication for all tools. Can we enforce it for every \
user on our account?

Regards,
Raj Kumar
IT, Stark Industries
--- 34 Sam
Hi Raj,

yes: an admin can turn on "Require 2FA" under Settings > Security. Users are asked to set it up \
at their next login.

Cheers,
Sam
--- 18 customer
Perfect, enabled. One more thing: do you support hardware keys?

Raj

=== Betty Moore <betty.moore@postbox.example> | html_only | en | -300 | utf-8
Subject: Thank you!
--- 22 customer
Just wanted to say your team was wonderful when my order got lost last month. Keep it up!

Betty
"""
