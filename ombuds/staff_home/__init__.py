"""The staff home: where a person with a role on a body lands after signing in (`views.home`),
with what they have to do across the bodies they work for (`selectors.staff_home`)."""
