"""Couples: two clients of one practice who answer the same questionnaire on their own, compared for the therapist.

Each partner keeps their own record, consent, therapist and history; a couple only links them. A couple
assignment is one ordinary assignment per partner (own link, emails, reminders, stop link), and the
couple report compares their answers with :mod:`assessments.agreement`.
"""
