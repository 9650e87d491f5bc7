"""The FHIR identifiers, extensions and codes the reader and writers agree on.

Standard ones first (the NHS number's identifier system, HL7's geolocation extension, SNOMED
CT), then this project's own, under ``PROJECT``: a trust that cannot code a regimen in SNOMED
CT, or has a patient's preferences and risks to pass on, writes them with these (see
docs/formats.md, "FHIR bundles"). ``PROJECT`` sits under the ``.example`` top-level domain,
which is reserved and never resolves: the URLs name things, they are never fetched.
"""

from __future__ import annotations

import re

from scheduler.domain.careplan import REGIMENS

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
GEOLOCATION_URL = "http://hl7.org/fhir/StructureDefinition/geolocation"
SNOMED_SYSTEM = "http://snomed.info/sct"

PROJECT = "https://hah-scheduler.example/fhir"
#: ``code.coding`` with this system and a regimen's name as its code (``iv_antibiotic``…).
REGIMEN_SYSTEM = f"{PROJECT}/CodeSystem/regimen"
#: Identifier systems of the service's own ids, on the Appointments it exports.
VISIT_ID_SYSTEM = f"{PROJECT}/Id/visit"
CLINICIAN_ID_SYSTEM = f"{PROJECT}/Id/clinician"
PATIENT_ID_SYSTEM = f"{PROJECT}/Id/patient"


def extension_url(name: str) -> str:
    return f"{PROJECT}/StructureDefinition/{name}"


#: On a ServiceRequest: ``valueCode`` ``picc`` or ``peripheral``, the line the drug goes in.
LINE_URL = extension_url("vascular-access")
#: On a Patient: ``valueString``, how to get in (a key safe, a dog); goes to the nurse's phone.
ACCESS_NOTES_URL = extension_url("access-notes")
#: On a Patient, repeatable: ``valueCode``, a risk (``two_staff``, ``no_lone_after_dark``…).
RISK_FLAG_URL = extension_url("risk-flag")
#: On a Patient, repeatable: ``valueString`` (a clinician id) or ``valueReference``
#: (``Practitioner/<id>``, or an identifier of ``CLINICIAN_ID_SYSTEM``): never sent to her.
EXCLUDED_CLINICIAN_URL = extension_url("excluded-clinician")
#: On a Patient: ``valueCode`` ``female`` or ``male``, the carer the patient asked for.
CARER_GENDER_URL = extension_url("carer-gender")
CARER_GENDERS = {"female": "F", "male": "M"}

#: SNOMED CT concepts read as a regimen. Deliberately few, each the procedure a trust's order
#: set codes the visit with; double-handed care is a staffing arrangement with no procedure
#: of its own, so it has only the project's code (and ``code.text``).
SNOMED_REGIMENS: dict[str, tuple[str, str]] = {
    "281790008": ("iv_antibiotic", "Intravenous antibiotic therapy"),
    "103744005": ("iv_fluids", "Administration of intravenous fluids"),
    "61746007": ("obs", "Taking patient vital signs"),
    "396540005": ("bloods", "Phlebotomy"),
    "82078001": ("bloods", "Collection of blood specimen for laboratory"),
    "281036007": ("review", "Follow-up consultation"),
}
#: The SNOMED CT concept each regimen is written with (the first of the table's).
REGIMEN_SNOMED = {regimen: code for code, (regimen, _) in reversed(SNOMED_REGIMENS.items())}

#: ``code.text`` (lower case, runs of spaces, ``-`` and ``_`` as one space) read as a regimen
#: when no coding names one: each regimen's own name, and the words order sets use.
TEXT_REGIMENS: dict[str, str] = {
    **{name.replace("_", " "): name for name in REGIMENS},
    "iv antibiotics": "iv_antibiotic",
    "intravenous antibiotics": "iv_antibiotic",
    "intravenous antibiotic therapy": "iv_antibiotic",
    "intravenous fluids": "iv_fluids",
    "observations": "obs",
    "news2": "obs",
    "news2 observations": "obs",
    "vital signs": "obs",
    "blood test": "bloods",
    "phlebotomy": "bloods",
    "clinical review": "review",
    "double handed care": "double_handed_care",
}

REGIMEN_LABELS = {
    "iv_antibiotic": "IV antibiotic",
    "iv_fluids": "IV fluids",
    "obs": "NEWS2 observations",
    "bloods": "Bloods",
    "review": "Clinical review",
    "double_handed_care": "Double-handed care",
}


def text_key(text: str) -> str:
    """``code.text`` as ``TEXT_REGIMENS`` is keyed: lower case, separators as one space."""
    return re.sub(r"[\s_\-]+", " ", text.strip().lower())
