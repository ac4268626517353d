from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..items import Kind


class TodoStepSerializer(serializers.Serializer):
    name = serializers.CharField(help_text=_("流程操作的名称，如 accept、resolve、publish"))
    label = serializers.CharField(help_text=_("操作的中文名称"))


class TodoItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices, help_text=_("待办类型"))
    kind_label = serializers.CharField(help_text=_("待办类型的中文名称"))
    title = serializers.CharField(help_text=_("待办事项"))
    detail = serializers.CharField(help_text=_("补充说明（项目、单位、截止日等）"))
    url = serializers.SerializerMethodField(help_text=_("办理该事项的页面地址"))
    due_on = serializers.DateField(allow_null=True, help_text=_("办结时限或截止日；无则为空"))
    overdue = serializers.BooleanField(help_text=_("是否已逾期"))
    count = serializers.IntegerField(
        allow_null=True, help_text=_("合并为一项的件数（如未报送的月报数）；单件事项为空")
    )
    actions = TodoStepSerializer(
        many=True, source="steps", help_text=_("该事项要办理的操作（流程中的步骤及其名称）")
    )

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, item) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(item.url) if request is not None else item.url


class TodoListSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("待办事项数"))
    overdue = serializers.IntegerField(help_text=_("其中已逾期的事项数"))
    results = TodoItemSerializer(many=True, help_text=_("按紧急程度排列：逾期在前，再按时限"))
