from django.utils.translation import gettext_lazy as _

from omnichannel.errors import DomainError


class QueueNotAllowed(DomainError):
    code = "queue_not_allowed"
    default_message = _("You cannot enable the Omnichannel queue.")


class UnknownDepartment(DomainError):
    code = "unknown_department"
    default_message = _("There is no such department.")


class InvalidAgent(DomainError):
    code = "invalid_agent"
    default_message = _("The agent could not be saved.")


class ManagerRequired(DomainError):
    code = "manager_required"
    default_message = _("Only a LiveChat Manager can do this.")


class DepartmentExists(DomainError):
    code = "department_exists"
    default_message = _("A department with this name or slug already exists.")


class AgentExists(DomainError):
    code = "agent_exists"
    default_message = _("A user with this user name already exists.")
