from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "ombuds.members"
    label = "members"
    verbose_name = "Members of a body"

    def ready(self) -> None:
        """Give cases what only members knows, through cases' own hooks (cases sits below members
        and never imports it): where proof of efforts comes from (a complaint made to a member
        agency first, forgotten with the case it went to) and who is recused from a new case (a disclosed conflict of interest); and codes, through its own
        hooks, that publishing a version closes the campaigns for the version it supersedes. Cases
        writes every row of its own. Imported here, as Django's app registry requires."""
        from ombuds.cases import hooks
        from ombuds.codes import hooks as code_hooks
        from ombuds.members import first_tier, services
        from ombuds.members.attestations import campaigns_supersede

        hooks.proof_of_efforts_register(
            hooks.ProofOfEffortsSource(
                find=first_tier.escalation_record,
                prepare=first_tier.escalation_prepare,
                attach=first_tier.escalation_attach,
                for_case=first_tier.for_case,
                initial=first_tier.escalation_initial,
                unknown_link=first_tier.unknown_link,
                forget=first_tier.case_forget,
            )
        )
        hooks.new_case_recusals_register(services.disclosed_conflicts)
        # A campaign for a version just superseded closes in the publication's transaction.
        code_hooks.version_published_register(campaigns_supersede)
