"""Meshes of described generators (no Gmsh): the description is made on rank 0, broadcast,
and built into a distributed DOLFINx mesh by the builder of its kind."""

from __future__ import annotations

from mpi4py import MPI

import meshes
from meshes import GeometryParameters, MeshSettings
from solver.errors import GeometryError
from solver.geometry.boxes import timer
from solver.geometry.structured import build_height_map_slab
from solver.geometry.voxel import build_label_volume
from solver.studies.parallel import broadcast_errors

__all__ = ["BUILDERS", "build_described"]

#: description kind -> builder(description, comm) -> TaggedMesh
BUILDERS = {"height_map": build_height_map_slab, "voxels": build_label_volume}


def build_described(geometry: str, parameters: GeometryParameters, settings: MeshSettings,
                    comm: MPI.Comm = MPI.COMM_WORLD):
    """The tagged mesh of the described generator ``geometry``."""
    generator = meshes.get(geometry)
    if generator.kind not in BUILDERS:
        raise GeometryError(f"geometry {geometry!r}: no mesh builder for descriptions of kind {generator.kind!r}")
    clock = timer()
    description = None
    with broadcast_errors(comm):
        if comm.rank == 0:
            description = generator.build(parameters, settings)
    description = comm.bcast(description, root=0)
    describe_seconds = clock()
    tagged = BUILDERS[generator.kind](description, comm)
    declaration = generator.declare(parameters)
    problem = declaration and declaration.mismatch(3, set(tagged.regions), set(tagged.boundaries))
    if problem:
        raise GeometryError(f"geometry {geometry!r} does not build what it declares: {problem}")
    tagged.metadata.update(geometry=geometry, parameters=parameters.model_dump(mode="json"),
                           mesh_settings=settings.model_dump(mode="json"))
    tagged.statistics["describe_seconds"] = describe_seconds
    return tagged
