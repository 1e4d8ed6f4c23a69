"""schemathesis' hooks for the live runs (test_schemathesis.py passes this file as
SCHEMATHESIS_HOOKS): a Security Event Token, `application/secevent+jwt`, is sent as text."""

import schemathesis

schemathesis.serializer.alias("application/secevent+jwt", "text/plain")
