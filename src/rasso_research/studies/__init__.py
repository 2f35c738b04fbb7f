"""Studies: the project's questions defined once, above the designs. A study reads its series
from the panel, holds its specs and dates, and runs designs on them; notebooks call a study, and
its views draw and describe the results.

* ``national``: the 2020-2021 national reforms (notebooks 02, 04 and 05);
* ``force``: one force (or area) against the others (notebook 03).
"""
