"""Every model, imported in one place so that Alembic and the tests see the whole schema."""
from app.audit import AuditEvent  # noqa: F401
from app.auth.models import Agency, Country, Region, User, UserSession  # noqa: F401
from app.offers.models import Employer  # noqa: F401
from app.reference.models import (  # noqa: F401
    Domain, GrandDomain, IscoGroup, MobilityLink, Occupation, OccupationIsco, OccupationSkill,
    ReferenceLoad, Skill, Specialisation, Title,
)
from app.jobseekers.models import (  # noqa: F401
    Consent, JobSeeker, JobSeekerNameKey, JobSeekerOccupation, JobSeekerPhone, RegistrationCounter,
)
from app.matching.models import (  # noqa: F401
    MatchChange, MatchingSettings, MatchSuggestion, Referral, ReferralEvent,
)
from app.mobility.models import (  # noqa: F401
    Alternative, CounsellingSession, Departure, Dossier, DossierCounter, DossierDocument, DossierEvent, Enrolment,
    FollowUp, ReturnRecord, RiskAssessment, Workshop,
)
