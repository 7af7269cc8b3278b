"""Certification from application to credential (docs/guide-certification.md): a programme's
requirements as data, candidates' applications reviewed by staff, examinations and their results (a
pass issuing the credential through the register's services), and exam-security incidents filed as
cases."""
