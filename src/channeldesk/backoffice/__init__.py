"""The vendor back office (/backoffice/): staff steer the partner programme."""
