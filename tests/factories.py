import factory
from django.contrib.auth.models import Group

from accounts.models import AGENT_ROLE, MANAGER_ROLE, Department, DepartmentAgent, User

PASSWORD = "correct-horse-battery"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Department {n}")
    slug = factory.Sequence(lambda n: f"department-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AgentFactory(UserFactory):
    status = User.Status.ONLINE

    @factory.post_generation
    def roles(obj, create, extracted, **kwargs):
        if create:
            names = extracted if extracted is not None else [AGENT_ROLE]
            # Transactional tests flush the roles the data migration made; bring them back.
            obj.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in names))
            if MANAGER_ROLE in names:
                from omnichannel.supervision import grant_manager_permissions

                grant_manager_permissions()

    @factory.post_generation
    def departments(obj, create, extracted, **kwargs):
        if create and extracted:
            for department in extracted:
                DepartmentAgent.objects.get_or_create(department=department, agent=obj)


def make_manager(**kwargs) -> User:
    return AgentFactory(roles=[AGENT_ROLE, MANAGER_ROLE], is_staff=True, **kwargs)
