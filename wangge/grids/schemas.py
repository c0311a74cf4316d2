from ninja import Schema


class GridOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    area_m2: float


class GridListOut(Schema):
    count: int
    items: list[GridOut]


class PersonOut(Schema):
    name: str
    title: str
    phone: str
    phone_masked: bool
    department: str


class CoverageUnitOut(Schema):
    code: str
    name: str
    share: float
    area_m2: float
    department: str


class LayerCoverageOut(Schema):
    code: str
    name: str
    kind: str
    tiling: bool
    units: list[CoverageUnitOut]


class WarningOut(Schema):
    kind: str
    label: str
    area_m2: float
    share: float | None
    layer: str
    unit: str
    other_grid: str


class GridCardOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    area_m2: float
    grid_workers: list[PersonOut]
    liaison: PersonOut | None
    layers: list[LayerCoverageOut]
    warnings: list[WarningOut]


class LayerOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    tiling: bool
    department: str | None
    units: int


class ImportOut(Schema):
    id: int
    kind: str
    layer_code: str
    filename: str
    crs: str
    status: str
    features: int
    repaired: list[dict]
    diff: dict
    created_at: str


class MergeRunOut(Schema):
    task_id: str
    status: str
