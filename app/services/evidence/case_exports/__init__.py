"""Exports of a case (issue 22): the signed case file extended with records and links
(case_file.py), Uwazi's CSV import (uwazi.py) and HURIDOCS ESF JSON (esf.py), all built from
one opened view of the case (gather.py). docs/case-exports.md describes the formats."""
