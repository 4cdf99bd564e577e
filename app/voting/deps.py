"""Resource loaders for ballots: 404 outside the caller's read scope, 403 below the route's level."""

from typing import Annotated

from app.auth.authz import loader
from app.voting import access
from app.voting.models import Ballot

BallotForRead = Annotated[Ballot, loader(Ballot, access.ballot_condition, "read", param="ballot_id")]
BallotForManage = Annotated[Ballot, loader(Ballot, access.ballot_condition, "manage", param="ballot_id")]
BallotForCollect = Annotated[Ballot, loader(Ballot, access.ballot_condition, "collect", param="ballot_id")]
# For a cast: the ballot held shared to the end of the transaction (``service.held_shared``) from the start.
BallotForCasting = Annotated[Ballot, loader(Ballot, access.ballot_condition, "read", param="ballot_id", held=True)]
BallotForProxyCasting = Annotated[Ballot, loader(Ballot, access.ballot_condition, "collect", param="ballot_id",
                                                 held=True)]
