"""NSGA-II through Optuna's NSGAIISampler, the same optional extra as TPE (`hyperzoom[tpe]`).

NSGA-II keeps state between asks: each trial's generation, stamped when it is asked, and each
generation's parents, selected from the one before. The study here is rebuilt from the history
at every ask (as TPE's is), so the generations are stamped again from the history alone: in
the log's order, a generation closes once `population_size` of its trials completed, which is
what Optuna records when trials are asked one after another. The same history therefore gives
the same parents whichever process asks. Failed trials (a missing metric among them) belong to
a generation without counting towards it, as in Optuna.

With one metric NSGA-II is a plain elitist genetic algorithm on the value; with several it
keeps the non-dominated trials as parents, and bounds make it prefer feasible ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from app.core.model_based import StudySampler, constraint_args, frozen_trials, new_study
from app.core.sampling import History, check_options, number_option
from app.core.space import SearchSpace

if TYPE_CHECKING:
    import optuna


class Nsga2Sampler(StudySampler):
    """Optuna's NSGAIISampler on our history.

    Args (options):
        population_size: trials per generation (default 50); the first generation is random.
        crossover_prob: chance a child is a crossover of two parents, not a copy (0.9).
        mutation_prob: chance each parameter is drawn afresh; absent: 1 / parameters.
    """

    name = "nsga2"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        check_options(self.name, options, {"population_size", "crossover_prob", "mutation_prob"})
        self.population = int(
            number_option(options, "population_size", 50, 2, 10_000, integer=True)
        )
        self.crossover_prob = float(number_option(options, "crossover_prob", 0.9, 0.0, 1.0))
        self.mutation_prob = None
        if (options or {}).get("mutation_prob") is not None:
            self.mutation_prob = float(number_option(options, "mutation_prob", 0.0, 0.0, 1.0))

    def check(self, space: SearchSpace, n_trials: int) -> None:
        """Any budget works; one below `population_size` is a random search."""

    def study(
        self, space: SearchSpace, history: History, seed: int, direction: str
    ) -> optuna.Study:
        """The in-memory study NSGA-II asks from: the history with its generations stamped and
        every generation's parents already chosen (inside `quiet_optuna`)."""
        import optuna

        sampler = optuna.samplers.NSGAIISampler(
            population_size=self.population,
            crossover_prob=self.crossover_prob,
            mutation_prob=self.mutation_prob,
            seed=seed,
            **constraint_args(history),
        )
        trials = frozen_trials(space, history)
        current = stamp_generations(trials, self.population, generation_key())
        study = new_study(history, direction, sampler)
        study.add_trials(trials)
        # Parents are chosen from the generation before and its parents, recursively: choosing
        # them oldest first keeps the recursion one deep (Optuna caches each in the study).
        if hasattr(sampler, "get_parent_population"):  # Optuna's GA base class (4.2 on?)
            for generation in range(1, current + 1):
                sampler.get_parent_population(study, generation)
        return study


def generation_key() -> str:
    """The system attribute Optuna's NSGA-II keeps a trial's generation in (tested on 5.1;
    the older name for Optuna releases before its GA base class)."""
    from optuna.samplers import NSGAIISampler

    named = getattr(NSGAIISampler, "_get_generation_key", None)
    return named() if named else "nsga2:generation"


def stamp_generations(trials: list[Any], population: int, key: str) -> int:
    """Stamp each trial with its generation, in order; return the next trial's generation."""
    from optuna.trial import TrialState

    generation = complete = 0
    for trial in trials:
        if complete >= population:
            generation, complete = generation + 1, 0
        trial.system_attrs = {**trial.system_attrs, key: generation}
        complete += trial.state == TrialState.COMPLETE
    return generation + 1 if complete >= population else generation
