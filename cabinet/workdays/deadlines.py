"""Every term the product counts, in working days, declared once with the clause that sets it.

Pages, mails, PDFs, the admin calendar, the reminders and the statistics read these; nothing else names a number.
"""

#: policy clause 5.2: the operator answers a complaint within thirty working days of the day of receipt
COMPLAINT_ANSWER = 30
#: law on personal data, art. 25 p.2(8): a name correction is decided within one working day
NAME_CORRECTION = 1
#: law on personal data, article 8: after a withdrawal of consent the operator stops processing and destroys the
#: data within fifteen working days
CONSENT_WITHDRAWAL = 15
#: the operator's own practice: staff are reminded of a matter due within this many working days ("due soon")
REMINDER_WARNING = 3
#: the operator's own practice: the complaints queue marks complaints due within this many working days
QUEUE_SOON = 5
