"""OData query options: parsing and the opaque $skiptoken. Pure, no web and no SQL."""
