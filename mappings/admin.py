"""The mapping screens: tenant-scoped, with Spectrum's mirrored values offered as dropdowns.

The classes live with the rest of the scoped admin (spectrum_sync/adminsite/mapping_admin.py);
this module registers them, so each mapping model has exactly one screen.
"""

from __future__ import annotations

from django.contrib import admin

from mappings.models import DepartmentClassMapping, GLAccountMapping, ProcessingDateRange, TaxCodeDefault, UDFMapping
from spectrum_sync.adminsite.mapping_admin import (
    DepartmentClassMappingAdmin,
    GLAccountMappingAdmin,
    ProcessingDateRangeAdmin,
    TaxCodeDefaultAdmin,
    UDFMappingAdmin,
)

admin.site.register(GLAccountMapping, GLAccountMappingAdmin)
admin.site.register(DepartmentClassMapping, DepartmentClassMappingAdmin)
admin.site.register(TaxCodeDefault, TaxCodeDefaultAdmin)
admin.site.register(UDFMapping, UDFMappingAdmin)
admin.site.register(ProcessingDateRange, ProcessingDateRangeAdmin)
