"""FHIR R4 (UK Core) in and out, with the ``fhir.resources`` models (their ``R4B`` package:
the release has no R4 one, and R4B changed only a few low-maturity resources of R4, the
version UK Core is built on, none of those read or written here). docs/formats.md, "FHIR bundles", has what is read, the code mapping and what
is ignored.

- ``read``: ``read_bundle``, a bundle of ``Patient``, ``CarePlan`` and ``ServiceRequest``
  resources as the caseload (``careplan.Patient`` and ``CarePlanItem``), every problem named
  by file, entry and element (``issues.BundleIssue``), all or nothing.
- ``patients`` and ``plans``: how each resource maps (``patients.locate`` places the patients
  a bundle gave only a postcode for); ``bundle``: the envelope, entries and references;
  ``codes``: the systems, extensions and SNOMED CT codes.
- ``appointments``: ``appointments_bundle``, a day's rota as ``Appointment`` resources.
- ``caseload``: ``caseload_bundle``, a caseload written as the bundle ``read_bundle`` reads;
  ``synthetic``: invented caseloads and their bundles for tests and the benchmark.
"""

from scheduler.domain.formats.fhir.appointments import appointments_bundle
from scheduler.domain.formats.fhir.read import Caseload, read_bundle

__all__ = ["Caseload", "appointments_bundle", "read_bundle"]
