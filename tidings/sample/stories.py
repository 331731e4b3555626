"""Twenty-four invented news stories for the demo and the tests.

Each story's first topic is its primary topic. Every word here was written for tidings.
"""

from typing import Any

STORIES: list[dict[str, Any]] = [
    {
        "slug": "kestrel-energy-to-build-offshore-wind-farm-off-kenya",
        "headline": "Kestrel Energy to build offshore wind farm off Kenya",
        "standfirst": "The 1.2-gigawatt project would be the largest of its kind in Africa "
        "and could power two million homes by 2031.",
        "byline": "Ana Costa",
        "hours_ago": 2,
        "topics": ["Kestrel Energy", "Kenya", "Amara Okafor", "Climate change"],
        "comments": True,
        "reusable": True,
        "photo": {
            "seed": 1,
            "alt_text": "Wind turbines standing in a calm sea at dawn",
            "display_caption": "Turbines at a Kestrel Energy site in the North Sea",
            "caption": "NORTH SEA, UNITED KINGDOM - MARCH 3: Turbines at a Kestrel Energy "
            "wind farm turn at dawn on March 3. (Photo by Lena Brandt/Coastline Pictures)",
            "photographer": "Lena Brandt",
            "agency": "Coastline Pictures",
        },
        "body": [
            "Kestrel Energy said on Tuesday it would build a 1.2-gigawatt offshore wind farm "
            "in the Indian Ocean off the coast of Kenya, its first large project outside Europe.",
            "The company expects to spend about $3bn on the scheme, which still needs approval "
            "from Kenyan regulators and a final agreement on the price of the power it sells.",
            '"Kenya has some of the steadiest coastal winds we have ever measured," said Amara '
            'Okafor, chief executive of Kestrel Energy. "This is a forty-year commitment."',
            "Engineers will spend the next eighteen months surveying the seabed near Malindi "
            "before construction begins, the company said.",
        ],
        "sample_comments": [
            (
                "alice",
                "Good to see this finally happening. The grid connection will be the hard part.",
            ),
            (
                "charlie",
                "Forty years is a long time. Who pays if the price agreement falls through?",
            ),
        ],
    },
    {
        "slug": "amara-okafor-says-kestrel-will-cut-emissions-by-half",
        "headline": "Amara Okafor says Kestrel will halve its emissions by 2030",
        "standfirst": "The energy group's chief executive set out a faster timetable after "
        "pressure from shareholders.",
        "byline": "Ana Costa",
        "hours_ago": 30,
        "topics": ["Amara Okafor", "Kestrel Energy", "Climate change", "Markets"],
        "comments": True,
        "reusable": False,
        "photo": None,
        "body": [
            "Amara Okafor, the chief executive of Kestrel Energy, told shareholders on Monday "
            "that the company would halve its carbon emissions by 2030, five years earlier than "
            "it had promised.",
            "Ms Okafor said the group would close two gas-fired plants in Germany and sell "
            "its remaining coal interests by the end of next year.",
            '"We heard our investors clearly," Ms Okafor said. "The plan we had was not '
            'fast enough, and we can afford to go faster."',
            "Shares in Kestrel rose 4 per cent in early trading.",
        ],
    },
    {
        "slug": "lisbon-mayor-unveils-plan-for-car-free-centre",
        "headline": "Lisbon mayor unveils plan for a car-free city centre",
        "standfirst": "Tomás Ferreira wants to close the Baixa district to private cars "
        "within three years.",
        "byline": "Miguel Sousa",
        "hours_ago": 5,
        "topics": ["Tomás Ferreira", "Lisbon", "Transport", "Climate change"],
        "comments": True,
        "reusable": True,
        "photo": {
            "seed": 2,
            "alt_text": "A yellow tram climbing a narrow street lined with tiled houses",
            "display_caption": "A tram in Lisbon's Alfama district",
            "caption": "LISBON, PORTUGAL - APRIL 12: A tram climbs through the Alfama "
            "district on April 12. (Photo by Rita Lobo/Atlantic Images)",
            "photographer": "Rita Lobo",
            "agency": "Atlantic Images",
        },
        "body": [
            "Tomás Ferreira, the mayor of Lisbon, on Wednesday set out plans to close the "
            "city's historic Baixa district to private cars within three years.",
            "Delivery vans, taxis and residents' vehicles would still be allowed at set hours, "
            "and the city would add two new tram lines to the east of the centre.",
            '"Our streets were built for people, long before they were built for cars," '
            "Mr Ferreira said at a press conference in the city hall.",
            "Shopkeepers' groups said they would study the plan but warned against closing "
            "streets before the new tram lines were running.",
        ],
        "sample_comments": [
            (
                "alice",
                "I visited last spring and the traffic in the Baixa was awful. This sounds right.",
            ),
        ],
    },
    {
        "slug": "lisbon-votes-to-extend-tram-network-east",
        "headline": "Lisbon council votes to extend tram network east",
        "standfirst": "Two new lines will link the centre to the riverside districts by 2029.",
        "byline": "Miguel Sousa",
        "hours_ago": 100,
        "topics": ["Lisbon", "Transport", "Tomás Ferreira"],
        "comments": False,
        "reusable": False,
        "photo": None,
        "body": [
            "Lisbon's city council voted on Thursday to extend the tram network to the "
            "riverside districts in the east of the city, at a cost of €420m.",
            "The vote passed by 11 to 6. Opposition councillors said the money would be better "
            "spent on buses, which can be rerouted as the city changes.",
            "Mayor Tomás Ferreira said the first of the two lines should open in 2028.",
        ],
    },
    {
        "slug": "ecb-holds-rates-as-inflation-cools",
        "headline": "ECB holds interest rates as inflation cools",
        "standfirst": "The European Central Bank left its main rate unchanged and hinted "
        "at a cut in the spring.",
        "byline": "Jonas Weber",
        "hours_ago": 8,
        "topics": ["European Central Bank", "Markets", "Germany"],
        "comments": True,
        "reusable": True,
        "photo": {
            "seed": 3,
            "alt_text": "A glass office tower reflecting a cloudy sky",
            "display_caption": "The European Central Bank's headquarters in Frankfurt",
            "caption": "FRANKFURT, GERMANY - JUNE 6: The headquarters of the European "
            "Central Bank on June 6. (Photo by Jonas Keller/Mainland Press)",
            "photographer": "Jonas Keller",
            "agency": "Mainland Press",
        },
        "body": [
            "The European Central Bank held its main interest rate at 2.5 per cent on "
            "Thursday, as figures showed inflation in the eurozone easing for a third month.",
            "Bond markets rallied after the bank said the risks to prices were now "
            '"broadly balanced", a phrase traders read as opening the door to a cut.',
            "German industrial output fell again in October, adding to pressure on the ECB "
            "to support growth.",
            "The bank's next meeting is in late January.",
        ],
    },
    {
        "slug": "german-factory-orders-fall-for-third-month",
        "headline": "German factory orders fall for a third month",
        "standfirst": "Weak demand from abroad weighed on manufacturers, adding to "
        "calls for lower interest rates.",
        "byline": "Jonas Weber",
        "hours_ago": 50,
        "topics": ["Germany", "Markets", "European Central Bank"],
        "comments": False,
        "reusable": False,
        "photo": None,
        "body": [
            "Orders at German factories fell 1.4 per cent in October, the third monthly "
            "fall in a row, official figures showed on Friday.",
            "Economists said weaker demand from outside the eurozone, especially for "
            "machinery, was the main cause.",
            "Several economists said the figures made a rate cut by the European Central "
            "Bank in the spring more likely.",
        ],
    },
    {
        "slug": "un-climate-talks-open-with-call-for-faster-cuts",
        "headline": "UN climate talks open with a call for faster cuts",
        "standfirst": "Delegates from 190 countries gathered as scientists warned that "
        "current pledges fall short.",
        "byline": "Sara Lindqvist",
        "hours_ago": 12,
        "topics": ["Climate change", "United Nations", "Helena Varga", "Brazil"],
        "comments": True,
        "reusable": True,
        "photo": {
            "seed": 4,
            "alt_text": "Delegates seated in rows in a large conference hall",
            "display_caption": "Delegates at the opening session of the climate talks",
            "caption": "BELÉM, BRAZIL - NOVEMBER 10: Delegates attend the opening session "
            "of the United Nations climate talks on November 10. (Photo by Paulo Mendes/"
            "Southern Cross Photo)",
            "photographer": "Paulo Mendes",
            "agency": "Southern Cross Photo",
        },
        "body": [
            "United Nations climate talks opened in Brazil on Monday with a call from the "
            "host government for countries to bring forward their emissions targets.",
            "Helena Varga, the European commissioner for climate action, said Europe would "
            "table a new target for 2040 during the two-week meeting.",
            '"Every year of delay makes the cuts steeper and the bill larger," Ms Varga said '
            "in her opening remarks.",
            "Negotiators from poorer countries said they wanted firmer promises of money "
            "to adapt to floods and droughts before agreeing to new targets.",
        ],
        "sample_comments": [
            ("charlie", "Same speeches every year. I'll believe it when the numbers move."),
            ("alice", "The 2040 target would be a real change if it survives the negotiations."),
        ],
    },
    {
        "slug": "helena-varga-proposes-2040-emissions-target",
        "headline": "Helena Varga proposes a 90 per cent emissions cut by 2040",
        "standfirst": "The EU climate commissioner's plan would be the most ambitious "
        "target of any large economy.",
        "byline": "Sara Lindqvist",
        "hours_ago": 36,
        "topics": ["Helena Varga", "Climate change", "Germany"],
        "comments": True,
        "reusable": False,
        "photo": None,
        "body": [
            "Helena Varga, the European commissioner for climate action, proposed on "
            "Wednesday that the European Union cut its net emissions by 90 per cent by 2040.",
            "The plan would allow countries to count a small share of carbon credits bought "
            "abroad, a concession to Germany and others worried about the cost to industry.",
            '"This target is ambitious, but it is also achievable," Ms Varga told reporters '
            "in Brussels.",
            "The proposal now goes to national governments and the European Parliament.",
        ],
    },
    {
        "slug": "northwind-airways-orders-forty-new-jets",
        "headline": "Northwind Airways orders forty new jets",
        "standfirst": "The airline says the more efficient aircraft will cut fuel use "
        "by a fifth on its long-haul routes.",
        "byline": "Tom Harding",
        "hours_ago": 20,
        "topics": ["Northwind Airways", "Transport", "London", "Markets"],
        "comments": False,
        "reusable": True,
        "photo": {
            "seed": 5,
            "alt_text": "A passenger jet taking off against an orange evening sky",
            "display_caption": "A Northwind Airways jet leaves London",
            "caption": "LONDON, UNITED KINGDOM - MAY 21: A Northwind Airways aircraft takes "
            "off from a London airport on May 21. (Photo by Sam Ellery/Runway Images)",
            "photographer": "Sam Ellery",
            "agency": "Runway Images",
        },
        "body": [
            "Northwind Airways has ordered forty long-haul jets in a deal worth about "
            "$9bn at list prices, the London-based airline said on Thursday.",
            "The new aircraft will replace older planes from 2028 and burn about 20 per "
            "cent less fuel per seat, according to the company.",
            '"Our customers want to fly further and feel better about it," said Grace '
            "Mensah, chief financial officer of Northwind Airways.",
            "Shares in Northwind rose 2 per cent.",
        ],
    },
    {
        "slug": "northwind-strike-grounds-flights",
        "headline": "Cabin crew strike grounds half of Northwind flights",
        "standfirst": "Passengers faced cancellations at London's airports as talks over "
        "pay broke down.",
        "byline": "Tom Harding",
        "hours_ago": 140,
        "topics": ["Northwind Airways", "London", "Transport"],
        "comments": True,
        "reusable": False,
        "photo": None,
        "body": [
            "Northwind Airways cancelled about half of its flights from London on Saturday "
            "as cabin crew walked out in a dispute over pay.",
            "The union representing the crew said the airline's offer did not keep up with "
            "the cost of living. Northwind said the offer was fair and urged staff to return.",
            "Passengers were advised to check their flight status before travelling to "
            "the airport.",
        ],
    },
    {
        "slug": "daniel-whitlock-announces-rail-investment",
        "headline": "Daniel Whitlock announces £12bn for northern rail",
        "standfirst": "The transport minister promised faster trains between the "
        "north's largest cities within a decade.",
        "byline": "Tom Harding",
        "hours_ago": 26,
        "topics": ["Daniel Whitlock", "Transport", "London"],
        "comments": True,
        "reusable": True,
        "photo": {
            "seed": 6,
            "alt_text": "A modern train at a station platform under a curved roof",
            "display_caption": "A train waits at a northern station",
            "caption": "LEEDS, UNITED KINGDOM - JULY 2: A train waits at the platform on "
            "July 2. (Photo by Priya Shah/Northern Light Agency)",
            "photographer": "Priya Shah",
            "agency": "Northern Light Agency",
        },
        "body": [
            "Daniel Whitlock, the transport minister, announced £12bn on Monday for new "
            "rail lines and faster trains between cities in the north of England.",
            "The money will be spent over ten years and includes a new line between two "
            "of the region's largest cities, cutting the journey to under half an hour.",
            '"For too long, it has been easier to travel to London than across the '
            'north," Mr Whitlock said.',
            "Critics said similar promises had been made before and cut when budgets were tight.",
        ],
    },
    {
        "slug": "whitlock-faces-questions-over-airport-expansion",
        "headline": "Whitlock faces questions over airport expansion",
        "standfirst": "Campaigners say a new runway would break the government's "
        "climate commitments.",
        "byline": "Tom Harding",
        "hours_ago": 170,
        "topics": ["Daniel Whitlock", "London", "Climate change", "Transport"],
        "comments": True,
        "reusable": False,
        "photo": None,
        "body": [
            "Daniel Whitlock was questioned by MPs on Tuesday over his support for a new "
            "runway at one of London's airports.",
            "Campaigners say the expansion would make it impossible to meet the country's "
            "climate targets. Mr Whitlock said newer aircraft and cleaner fuels would close "
            "the gap.",
            "A decision on planning permission is expected next year.",
        ],
    },
    {
        "slug": "meridian-institute-reports-malaria-vaccine-results",
        "headline": "Malaria vaccine cuts severe cases by 70 per cent in trial",
        "standfirst": "Results from a three-year trial in Kenya were described as "
        "the strongest yet for a malaria vaccine.",
        "byline": "Leah Otieno",
        "hours_ago": 15,
        "topics": ["Public health", "Meridian Health Institute", "Kenya", "Priya Raman"],
        "comments": True,
        "reusable": True,
        "photo": {
            "seed": 7,
            "alt_text": "A health worker preparing a vaccine in a clinic",
            "display_caption": "A health worker at a clinic taking part in the trial",
            "caption": "KISUMU, KENYA - FEBRUARY 14: A health worker prepares a dose at a "
            "clinic taking part in the trial on February 14. (Photo by Joseph Mwangi/"
            "Lakeside Photo Agency)",
            "photographer": "Joseph Mwangi",
            "agency": "Lakeside Photo Agency",
        },
        "body": [
            "A new malaria vaccine cut severe cases among young children by 70 per cent "
            "in a three-year trial in Kenya, researchers said on Wednesday.",
            "The trial, led by the Meridian Health Institute, followed 9,000 children in "
            "four counties around Lake Victoria.",
            '"These are the strongest results we have seen for any malaria vaccine," said '
            "Priya Raman, chief scientist at the Meridian Health Institute.",
            "The researchers will now seek approval from regulators and the World Health "
            "Organization, which would allow the vaccine to be bought by aid agencies.",
        ],
        "sample_comments": [
            ("alice", "Remarkable. How soon could this reach clinics?"),
        ],
    },
    {
        "slug": "priya-raman-warns-of-antibiotic-resistance",
        "headline": "Priya Raman warns of rising antibiotic resistance",
        "standfirst": "The Meridian scientist told a conference that common infections "
        "are becoming harder to treat.",
        "byline": "Leah Otieno",
        "hours_ago": 80,
        "topics": ["Priya Raman", "Public health", "Meridian Health Institute", "Nairobi"],
        "comments": False,
        "reusable": False,
        "photo": None,
        "body": [
            "Priya Raman, chief scientist at the Meridian Health Institute, told a "
            "conference in Nairobi on Friday that resistance to common antibiotics was "
            "rising faster than expected.",
            "Dr Raman said hospitals should test infections before prescribing, and that "
            "governments should pay companies to develop new drugs even if they are rarely "
            "used.",
            '"We are spending down an inheritance," Dr Raman said.',
        ],
    },
    {
        "slug": "nairobi-opens-new-commuter-rail-line",
        "headline": "Nairobi opens a new commuter rail line",
        "standfirst": "The line links the city centre to the airport and the fast-growing "
        "eastern suburbs.",
        "byline": "Leah Otieno",
        "hours_ago": 44,
        "topics": ["Nairobi", "Kenya", "Transport"],
        "comments": True,
        "reusable": True,
        "photo": {
            "seed": 8,
            "alt_text": "Passengers boarding a blue commuter train",
            "display_caption": "Passengers board the first train on the new line",
            "caption": "NAIROBI, KENYA - SEPTEMBER 1: Passengers board the first train on "
            "the new commuter line on September 1. (Photo by Joseph Mwangi/Lakeside Photo "
            "Agency)",
            "photographer": "Joseph Mwangi",
            "agency": "Lakeside Photo Agency",
        },
        "body": [
            "Nairobi opened a new commuter rail line on Monday linking the city centre to "
            "the airport and the eastern suburbs.",
            "Trains will run every ten minutes at peak times, and the journey to the "
            "airport will take 25 minutes, about a third of the time by road at rush hour.",
            "Kenya's government said the line would carry 80,000 passengers a day once "
            "fully running.",
        ],
    },
    {
        "slug": "kenya-election-date-set",
        "headline": "Kenya sets a date for next year's general election",
        "standfirst": "The electoral commission chose August 9 and promised new "
        "safeguards for the count.",
        "byline": "Leah Otieno",
        "hours_ago": 200,
        "topics": ["Elections", "Kenya", "Nairobi"],
        "comments": True,
        "reusable": False,
        "photo": None,
        "body": [
            "Kenya will hold its next general election on August 9, the country's "
            "electoral commission said on Tuesday.",
            "The commission said results from each polling station would be published "
            "online within hours of the count, to make the tally easier to check.",
            "Voter registration opens in Nairobi and across the country next month.",
        ],
    },
    {
        "slug": "brazil-election-campaign-begins",
        "headline": "Brazil's election campaign begins with a focus on the Amazon",
        "standfirst": "Both leading candidates have made deforestation a central "
        "issue for the first time.",
        "byline": "Paulo Reis",
        "hours_ago": 60,
        "topics": ["Elections", "Brazil", "Climate change"],
        "comments": True,
        "reusable": True,
        "photo": {
            "seed": 9,
            "alt_text": "Aerial view of a river winding through dense green forest",
            "display_caption": "A river in the Amazon rainforest",
            "caption": "AMAZONAS, BRAZIL - AUGUST 19: A river winds through the rainforest "
            "on August 19. (Photo by Paulo Mendes/Southern Cross Photo)",
            "photographer": "Paulo Mendes",
            "agency": "Southern Cross Photo",
        },
        "body": [
            "Brazil's election campaign officially began on Friday, with both leading "
            "candidates promising to slow the clearing of the Amazon rainforest.",
            "Polls show voters in the cities increasingly rank the environment among their "
            "main concerns, alongside jobs and crime.",
            "The first round of voting takes place in October.",
        ],
    },
    {
        "slug": "halden-robotics-raises-funding",
        "headline": "Halden Robotics raises $400m to build warehouse robots",
        "standfirst": "The Japanese start-up's founder says demand from retailers "
        "has tripled in a year.",
        "byline": "Yuki Tanaka",
        "hours_ago": 10,
        "topics": ["Halden Robotics", "Technology", "Japan", "Kenji Watanabe", "Markets"],
        "comments": True,
        "reusable": False,
        "photo": {
            "seed": 10,
            "alt_text": "Orange robotic arms sorting parcels on a conveyor belt",
            "display_caption": "Robots sort parcels at a Halden Robotics test site",
            "caption": "OSAKA, JAPAN - OCTOBER 8: Robotic arms sort parcels at a Halden "
            "Robotics test site on October 8. (Photo by Aiko Mori/Eastern Frame)",
            "photographer": "Aiko Mori",
            "agency": "Eastern Frame",
        },
        "body": [
            "Halden Robotics, a Japanese maker of warehouse robots, has raised $400m from "
            "investors, valuing the company at about $3bn.",
            "The company's robots pick and pack goods in warehouses, and it says demand "
            "from retailers in Japan and Europe has tripled in the past year.",
            '"Every retailer we talk to has the same problem: they cannot hire enough '
            'people for the night shift," said Kenji Watanabe, who founded Halden in 2017.',
            "The money will pay for a new factory near Osaka.",
        ],
    },
    {
        "slug": "kenji-watanabe-on-robots-and-jobs",
        "headline": "Kenji Watanabe: robots will change jobs, not end them",
        "standfirst": "The Halden founder says the warehouse of the future will still "
        "need people, but fewer of them on night shifts.",
        "byline": "Yuki Tanaka",
        "hours_ago": 120,
        "topics": ["Kenji Watanabe", "Halden Robotics", "Technology", "Japan"],
        "comments": True,
        "reusable": True,
        "photo": None,
        "body": [
            "Kenji Watanabe founded Halden Robotics after working night shifts in a Tokyo "
            "warehouse as a student. He says that experience still shapes what the company "
            "builds.",
            '"The jobs we automate first are the ones nobody wants," Mr Watanabe said in '
            'an interview. "Lifting, reaching, walking twenty kilometres a night."',
            "Unions in Japan have been cautious about the spread of warehouse robots, but "
            "some have signed agreements with Halden covering retraining.",
        ],
    },
    {
        "slug": "japan-chip-plant-subsidy",
        "headline": "Japan approves subsidy for a new chip plant",
        "standfirst": "The government will pay a third of the cost of a factory making "
        "advanced semiconductors.",
        "byline": "Yuki Tanaka",
        "hours_ago": 90,
        "topics": ["Japan", "Technology", "Markets"],
        "comments": False,
        "reusable": False,
        "photo": None,
        "body": [
            "Japan's government approved a subsidy of ¥450bn on Tuesday for a factory "
            "making advanced chips in the south of the country.",
            "Officials said the plant would reduce Japan's reliance on imported "
            "semiconductors for its car and electronics industries.",
            "Shares in chip equipment makers rose on the news.",
        ],
    },
    {
        "slug": "london-air-quality-improves",
        "headline": "London's air is the cleanest on record, study finds",
        "standfirst": "Levels of nitrogen dioxide near main roads have fallen by almost "
        "half in five years.",
        "byline": "Grace Mensah",
        "hours_ago": 55,
        "topics": ["London", "Public health", "Climate change"],
        "comments": True,
        "reusable": True,
        "photo": {
            "seed": 11,
            "alt_text": "A red double-decker bus on a busy street under a clear sky",
            "display_caption": "A bus on a central London street",
            "caption": "LONDON, UNITED KINGDOM - JUNE 30: A bus travels along a street in "
            "central London on June 30. (Photo by Sam Ellery/Runway Images)",
            "photographer": "Sam Ellery",
            "agency": "Runway Images",
        },
        "body": [
            "Air in London is the cleanest since records began, according to a study "
            "published on Thursday by researchers at two of the city's universities.",
            "Levels of nitrogen dioxide near main roads fell by 46 per cent between 2020 "
            "and 2025, the study found, largely because of cleaner buses and taxis.",
            "The researchers said that levels still exceeded international health "
            "guidelines in some places.",
        ],
    },
    {
        "slug": "un-appeal-for-east-africa-drought",
        "headline": "UN launches $2bn appeal as drought grips east Africa",
        "standfirst": "Aid agencies say millions of people in Kenya and neighbouring "
        "countries need food help.",
        "byline": "Sara Lindqvist",
        "hours_ago": 75,
        "topics": ["United Nations", "Kenya", "Climate change", "Public health"],
        "comments": False,
        "reusable": True,
        "photo": None,
        "body": [
            "The United Nations launched an appeal for $2bn on Monday to help people "
            "affected by drought in east Africa, after a fourth failed rainy season.",
            "Officials said about eight million people in Kenya and neighbouring countries "
            "needed food aid, and that malnutrition among children was rising.",
            "Scientists say droughts in the region have become more frequent as the climate warms.",
        ],
    },
    {
        "slug": "ecb-president-defends-digital-euro",
        "headline": "ECB defends plans for a digital euro",
        "standfirst": "The central bank said a digital currency would protect Europe's "
        "payments from foreign card networks.",
        "byline": "Jonas Weber",
        "hours_ago": 150,
        "topics": ["European Central Bank", "Technology", "Markets"],
        "comments": True,
        "reusable": False,
        "photo": None,
        "body": [
            "The European Central Bank defended its plans for a digital euro on Wednesday, "
            "saying it would give Europeans a public alternative to private payment apps.",
            "Banks have warned that a digital euro could draw deposits away from them. "
            "The ECB said holdings would be capped to prevent that.",
            "A decision on whether to issue the currency is expected in two years.",
        ],
    },
    {
        "slug": "brazil-to-host-green-hydrogen-summit",
        "headline": "Brazil to host talks on green hydrogen exports",
        "standfirst": "Energy companies including Kestrel are expected to attend a "
        "meeting on shipping hydrogen to Europe.",
        "byline": "Paulo Reis",
        "hours_ago": 110,
        "topics": ["Brazil", "Kestrel Energy", "Climate change", "Germany"],
        "comments": True,
        "reusable": False,
        "photo": None,
        "body": [
            "Brazil will host talks next month on exporting hydrogen made with renewable "
            "power to Europe, the country's energy ministry said.",
            "Germany, which expects to import much of the hydrogen it needs, will send a "
            "delegation. Kestrel Energy and several other companies are expected to attend.",
            "Brazil's wind and solar resources make it one of the cheapest places in the "
            "world to produce the fuel, analysts say.",
        ],
    },
]
