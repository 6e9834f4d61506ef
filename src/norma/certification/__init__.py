"""Certification with a registrar: certification bodies, the certificate's three-year cycle
and the external audits in it, with the rules of ISO/IEC 17021-1, IAF MD 5 and IAF MD 1."""
